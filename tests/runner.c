/* runner.c: runs every Check suite of the project and fails if any test fails.
 *
 * Check's own environment variables select and shape a run: CK_RUN_SUITE and CK_RUN_CASE
 * pick one suite or case, CK_FORK=no runs tests in this process (for gdb and valgrind),
 * CK_VERBOSITY=verbose lists every test.
 */
#include <stdlib.h>

#include "helpers.h"

int main(void)
{
	SRunner *sr = srunner_create(open_suite());
	srunner_add_suite(sr, close_suite());
	srunner_add_suite(sr, io_suite());
	srunner_add_suite(sr, find_suite());
	srunner_add_suite(sr, slice_suite());
	srunner_add_suite(sr, resize_suite());
	srunner_add_suite(sr, resize_fork_suite());
	srunner_add_suite(sr, examples_suite());
	srunner_add_suite(sr, wire_suite());
	srunner_add_suite(sr, registry_suite());
	srunner_add_suite(sr, daemon_suite());
	srunner_add_suite(sr, badinput_suite());
	srunner_add_suite(sr, badwire_suite());
	srunner_add_suite(sr, security_suite());
	srunner_add_suite(sr, conn_suite());
	srunner_add_suite(sr, registry_life_suite());
	srunner_add_suite(sr, memops_suite());
	srunner_add_suite(sr, wire_decode_suite());
	srunner_add_suite(sr, registry_list_suite());
	srunner_add_suite(sr, mmapctl_suite());
	srunner_add_suite(sr, daemon_holds_suite());
	srunner_add_suite(sr, tag_options_suite());
	srunner_add_suite(sr, fdstore_suite());
	srunner_add_suite(sr, republish_suite());
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
