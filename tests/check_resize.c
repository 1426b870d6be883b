/* check_resize.c: placeholder until the suite is written. */
#include "helpers.h"

Suite *resize_suite(void)
{
	Suite *s = suite_create("resize");
	return s;
}
