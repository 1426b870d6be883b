/* check_badinput.c: placeholder until the suite is written. */
#include "helpers.h"

Suite *badinput_suite(void)
{
	return suite_create("badinput");
}
