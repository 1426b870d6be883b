/* check_find.c: placeholder until the suite is written. */
#include "helpers.h"

Suite *find_suite(void)
{
	Suite *s = suite_create("find");
	return s;
}
