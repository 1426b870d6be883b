/* check_open.c: placeholder until the suite is written. */
#include "helpers.h"

Suite *open_suite(void)
{
	Suite *s = suite_create("open");
	return s;
}
