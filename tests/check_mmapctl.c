/* check_mmapctl.c: placeholder until the suite is written. */
#include "helpers.h"

Suite *mmapctl_suite(void)
{
	return suite_create("mmapctl");
}
