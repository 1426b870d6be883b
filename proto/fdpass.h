/* fdpass.h: passing descriptors with SCM_RIGHTS, as mmapd, libmmapc and the tests all do.
 *
 * A message carries at most one descriptor by the protocol's rules (proto/mmapd.proto); a
 * receiver makes room for FDPASS_MAX so that a peer that sends more is caught (the surplus
 * is collected and closed by the caller) rather than silently truncated. Receivers must use
 * MSG_CMSG_CLOEXEC, so that no descriptor that arrives is ever inheritable.
 *
 * Not here: the packets themselves (wire.h) and what a descriptor means (the callers).
 */
#ifndef MMAPD_FDPASS_H
#define MMAPD_FDPASS_H

#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#define FDPASS_MAX 4

union fdpass_control {
	char buf[CMSG_SPACE(FDPASS_MAX * sizeof(int))];
	struct cmsghdr align;
};

/* Makes msg carry fd in control, if fd >= 0. */
static inline void fdpass_attach(struct msghdr *msg, union fdpass_control *control, int fd)
{
	if (fd < 0)
		return;
	memset(control, 0, sizeof(*control));
	msg->msg_control = control->buf;
	msg->msg_controllen = CMSG_SPACE(sizeof(int));
	struct cmsghdr *cm = CMSG_FIRSTHDR(msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
}

/* Makes msg ready to receive up to FDPASS_MAX descriptors into control. */
static inline void fdpass_expect(struct msghdr *msg, union fdpass_control *control)
{
	msg->msg_control = control->buf;
	msg->msg_controllen = sizeof(control->buf);
}

/* Copies the descriptors a received msg carries into fds (room for FDPASS_MAX) and returns
 * how many there are. They are the caller's to keep or close. */
static inline size_t fdpass_collect(struct msghdr *msg, int *fds)
{
	size_t n = 0;

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && n < FDPASS_MAX; i++)
			memcpy(&fds[n++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
	}
	return n;
}

#endif
