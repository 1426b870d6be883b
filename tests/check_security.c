/* check_security.c: placeholder until the suite is written. */
#include "helpers.h"

Suite *security_suite(void)
{
	return suite_create("security");
}
