/* check_daemon_holds.c: placeholder until the suite is split out of check_daemon.c. */
#include "helpers.h"

Suite *daemon_holds_suite(void)
{
	return suite_create("daemon_holds");
}
