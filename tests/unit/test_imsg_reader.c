/*
 * Tests of the typed readers: exact consumption passes, and short data, a
 * string without its NUL, a string over its bound and bytes left over all
 * fail, with the failure latched so a handler can check once at the end.
 * Payloads are built by hand as a hostile peer would send them; under UBSan
 * the odd offsets also prove that nothing reads unaligned through a cast.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "imsg/imsg.h"

/* Largest hand-built payload in these tests. */
#define T_PAYLOAD_MAX	128

/* A message as imsg_get() would hand it out: payload in its own malloc. */
/* Seconds before Criterion kills a hung test: a hang is a failure. */
#define T_TIMEOUT	10

TestSuite(imsg_reader, .timeout = T_TIMEOUT);

static struct imsg
t_msg(const void *p, size_t len)
{
	struct imsg	imsg;

	memset(&imsg, 0, sizeof(imsg));
	imsg.fd = -1;
	imsg.hdr.len = IMSG_HEADER_SIZE + len;
	imsg.datalen = len;
	if (len > 0) {
		cr_assert_not_null(imsg.data = malloc(len));
		memcpy(imsg.data, p, len);
	}
	return imsg;
}

Test(imsg_reader, exact_consumption_passes)
{
	uint8_t			 raw[T_PAYLOAD_MAX], u8, blob[3];
	uint16_t		 u16 = 0xBEEF;
	uint32_t		 u32 = 0xDEADBEEF;
	uint64_t		 u64 = 0x0123456789ABCDEFULL;
	struct imsg		 imsg;
	struct imsg_reader	 r;
	const char		*s;
	size_t			 off = 0;

	/* u8 first so every later field sits at an odd offset. */
	raw[off++] = 0x7F;
	memcpy(raw + off, &u16, 2); off += 2;
	memcpy(raw + off, &u32, 4); off += 4;
	memcpy(raw + off, &u64, 8); off += 8;
	memcpy(raw + off, "abc", 3); off += 3;
	memcpy(raw + off, "hello", 6); off += 6;
	memcpy(raw + off, "", 1); off += 1;
	imsg = t_msg(raw, off);

	imsg_reader_init(&r, &imsg);
	u16 = 0; u32 = 0; u64 = 0;
	cr_assert_eq(imsg_read_u8(&r, &u8), 0);
	cr_assert_eq(imsg_read_u16(&r, &u16), 0);
	cr_assert_eq(imsg_read_u32(&r, &u32), 0);
	cr_assert_eq(imsg_read_u64(&r, &u64), 0);
	cr_assert_eq(imsg_read_data(&r, blob, sizeof(blob)), 0);
	cr_assert_eq(imsg_read_string(&r, &s, 5), 0);
	cr_assert_str_eq(s, "hello");
	cr_assert_eq(imsg_read_string(&r, &s, 0), 0);
	cr_assert_str_eq(s, "");
	cr_assert_eq(imsg_reader_end(&r), 0);

	cr_assert_eq(u8, 0x7F);
	cr_assert_eq(u16, 0xBEEF);
	cr_assert_eq(u32, 0xDEADBEEF);
	cr_assert_eq(u64, 0x0123456789ABCDEFULL);
	cr_assert_eq(memcmp(blob, "abc", 3), 0);
	imsg_free(&imsg);
}

Test(imsg_reader, short_data_fails_and_latches)
{
	struct imsg		imsg = t_msg("abc", 3);
	struct imsg_reader	r;
	uint32_t		u32 = 99;
	uint8_t			u8 = 99;

	imsg_reader_init(&r, &imsg);
	errno = 0;
	cr_assert_eq(imsg_read_u32(&r, &u32), -1);
	cr_assert_eq(errno, EBADMSG);
	cr_assert_eq(u32, 0, "failed getter left a value");
	cr_assert_neq(r.error, 0);
	/* Three bytes are there, but the reader stays failed. */
	cr_assert_eq(imsg_read_u8(&r, &u8), -1);
	cr_assert_eq(imsg_reader_end(&r), -1);
	imsg_free(&imsg);
}

Test(imsg_reader, each_width_checks_length)
{
	uint8_t			raw[8] = { 0 };
	struct imsg		imsg;
	struct imsg_reader	r;
	uint64_t		u64;
	uint32_t		u32;
	uint16_t		u16;
	uint8_t			u8;

	imsg = t_msg(raw, 7);
	imsg_reader_init(&r, &imsg);
	cr_assert_eq(imsg_read_u64(&r, &u64), -1);
	imsg_free(&imsg);

	imsg = t_msg(raw, 3);
	imsg_reader_init(&r, &imsg);
	cr_assert_eq(imsg_read_u32(&r, &u32), -1);
	imsg_free(&imsg);

	imsg = t_msg(raw, 1);
	imsg_reader_init(&r, &imsg);
	cr_assert_eq(imsg_read_u16(&r, &u16), -1);
	imsg_free(&imsg);

	imsg = t_msg(raw, 0);
	imsg_reader_init(&r, &imsg);
	cr_assert_eq(imsg_read_u8(&r, &u8), -1);
	imsg_free(&imsg);
}

Test(imsg_reader, read_data_bounds)
{
	struct imsg		imsg = t_msg("abcdef", 6);
	struct imsg_reader	r;
	uint8_t			buf[8];

	imsg_reader_init(&r, &imsg);
	cr_assert_eq(imsg_read_data(&r, buf, 0), 0);
	cr_assert_eq(imsg_read_data(&r, buf, 4), 0);
	cr_assert_eq(imsg_read_data(&r, buf, 3), -1);
	cr_assert_eq(imsg_reader_end(&r), -1);
	imsg_free(&imsg);
}

Test(imsg_reader, string_without_nul)
{
	struct imsg		 imsg = t_msg("hello", 5);
	struct imsg_reader	 r;
	const char		*s = "x";

	imsg_reader_init(&r, &imsg);
	cr_assert_eq(imsg_read_string(&r, &s, 100), -1);
	cr_assert_null(s);
	cr_assert_eq(imsg_reader_end(&r), -1);
	imsg_free(&imsg);
}

Test(imsg_reader, string_nul_after_other_fields)
{
	uint8_t			 raw[6] = { 'a', 'b', 0, 'c', 'd', 'e' };
	struct imsg		 imsg = t_msg(raw, sizeof(raw));
	struct imsg_reader	 r;
	const char		*s;

	/* The first string is fine; the second runs off the end. */
	imsg_reader_init(&r, &imsg);
	cr_assert_eq(imsg_read_string(&r, &s, 10), 0);
	cr_assert_str_eq(s, "ab");
	cr_assert_eq(imsg_read_string(&r, &s, 10), -1);
	cr_assert_eq(imsg_reader_end(&r), -1);
	imsg_free(&imsg);
}

Test(imsg_reader, string_too_long)
{
	struct imsg		 imsg = t_msg("hello", 6);
	struct imsg_reader	 r;
	const char		*s;

	imsg_reader_init(&r, &imsg);
	cr_assert_eq(imsg_read_string(&r, &s, 4), -1);
	cr_assert_eq(imsg_reader_end(&r), -1);

	/* The bound excludes the NUL: exactly maxlen is allowed. */
	imsg_reader_init(&r, &imsg);
	cr_assert_eq(imsg_read_string(&r, &s, 5), 0);
	cr_assert_str_eq(s, "hello");
	cr_assert_eq(imsg_reader_end(&r), 0);
	imsg_free(&imsg);
}

Test(imsg_reader, string_from_empty_message)
{
	struct imsg		 imsg = t_msg(NULL, 0);
	struct imsg_reader	 r;
	const char		*s;

	imsg_reader_init(&r, &imsg);
	cr_assert_eq(imsg_reader_end(&r), 0, "empty message, nothing read");
	cr_assert_eq(imsg_read_string(&r, &s, 10), -1);
	cr_assert_eq(imsg_reader_end(&r), -1);
	imsg_free(&imsg);
}

Test(imsg_reader, leftover_bytes_fail_end)
{
	uint8_t			raw[5] = { 1, 2, 3, 4, 5 };
	struct imsg		imsg = t_msg(raw, sizeof(raw));
	struct imsg_reader	r;
	uint32_t		u32;

	imsg_reader_init(&r, &imsg);
	cr_assert_eq(imsg_read_u32(&r, &u32), 0);
	cr_assert_eq(r.error, 0);
	errno = 0;
	cr_assert_eq(imsg_reader_end(&r), -1);
	cr_assert_eq(errno, EBADMSG);
	imsg_free(&imsg);
}

/* The builders and the readers agree, through a real socket. */
Test(imsg_reader, builders_round_trip)
{
	struct imsgbuf		 w, rb;
	struct ibuf		*b;
	struct imsg		 imsg;
	struct imsg_reader	 r;
	const char		*s;
	uint64_t		 u64;
	uint32_t		 u32;
	uint16_t		 u16;
	uint8_t			 u8;
	int			 sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	imsgbuf_init(&w, sv[0]);
	imsgbuf_init(&rb, sv[1]);
	cr_assert_not_null(b = imsg_create(&w, 77, 5, -1, 1));
	cr_assert_eq(imsg_add_u8(b, 0xAB), 0);
	cr_assert_eq(imsg_add_u64(b, UINT64_MAX - 1), 0);
	cr_assert_eq(imsg_add_string(b, "mail.example.com"), 0);
	cr_assert_eq(imsg_add_u16(b, 2525), 0);
	cr_assert_eq(imsg_add_u32(b, 123456789), 0);
	imsg_close(&w, b);
	cr_assert_eq(imsgbuf_flush(&w), 0);
	cr_assert_gt(imsgbuf_read(&rb), 0);
	cr_assert_eq(imsg_get(&rb, &imsg), 1);
	cr_assert_eq(imsg.hdr.type, 77);
	cr_assert_eq(imsg.hdr.peerid, 5);
	cr_assert_eq(imsg.datalen, 1 + 8 + 17 + 2 + 4);

	imsg_reader_init(&r, &imsg);
	imsg_read_u8(&r, &u8);
	imsg_read_u64(&r, &u64);
	imsg_read_string(&r, &s, 255);
	imsg_read_u16(&r, &u16);
	imsg_read_u32(&r, &u32);
	cr_assert_eq(imsg_reader_end(&r), 0);
	cr_assert_eq(u8, 0xAB);
	cr_assert_eq(u64, UINT64_MAX - 1);
	cr_assert_str_eq(s, "mail.example.com");
	cr_assert_eq(u16, 2525);
	cr_assert_eq(u32, 123456789);
	imsg_free(&imsg);
	imsgbuf_clear(&w);
	imsgbuf_clear(&rb);
}
