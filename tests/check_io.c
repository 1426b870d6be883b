/* check_io.c: placeholder until the suite is written. */
#include "helpers.h"

Suite *io_suite(void)
{
	Suite *s = suite_create("io");
	return s;
}
