/* check_examples.c: placeholder until the suite is written. */
#include "helpers.h"

Suite *examples_suite(void)
{
	Suite *s = suite_create("examples");
	return s;
}
