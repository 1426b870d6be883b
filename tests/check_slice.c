/* check_slice.c: placeholder until the suite is written. */
#include "helpers.h"

Suite *slice_suite(void)
{
	Suite *s = suite_create("slice");
	return s;
}
