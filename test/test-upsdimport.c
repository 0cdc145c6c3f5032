/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NUT on the cable host (ups.conf, upsd.conf, upsd.users) into the local
 * UPSes and the serve section; and the section syntax NUT's files share.
 */
#include <errno.h>

#include "macro.h"
#include "nutsection.h"
#include "test.h"
#include "upsdimport.h"

struct files {
	struct upsmonconf *ups, *upsd, *users;
	struct upsd_import_in in;
};

static struct upsmonconf *conf(const char *path, const char *text)
{
	struct upsmonconf *c = NULL;

	if (!text)
		return NULL;
	CHECK_INT(upsmonconf_parse(path, text, strlen(text), &c), 0);
	return c;
}

static struct upsd_import *import(struct files *f, const char *ups, const char *upsd,
				  const char *users)
{
	struct upsd_import *r = NULL;

	*f = (struct files){.ups = conf("ups.conf", ups),
			    .upsd = conf("upsd.conf", upsd),
			    .users = conf("upsd.users", users)};
	f->in = (struct upsd_import_in){.ups_path = "ups.conf",
					.upsd = f->upsd,
					.users_path = users ? "upsd.users" : NULL,
					.password_dir = "/etc/upsagent"};
	CHECK_INT(nut_sections_read(f->ups, &f->in.ups), 0);
	if (f->users)
		CHECK_INT(nut_sections_read(f->users, &f->in.users), 0);
	CHECK_INT(upsd_import(&f->in, &r), 0);
	if (r->serve_text)
		fprintf(stderr, "%s", r->serve_text);
	return r;
}

static void files_free(struct files *f, struct upsd_import *r)
{
	upsd_import_free(r);
	nut_sections_done(&f->in.ups);
	nut_sections_done(&f->in.users);
	upsmonconf_free(f->ups);
	upsmonconf_free(f->upsd);
	upsmonconf_free(f->users);
}

static bool has_note(const struct upsd_import *r, unsigned line, const char *part)
{
	for (size_t i = 0; i < r->n_notes; i++)
		if (r->notes[i].line == line && strstr(r->notes[i].text, part))
			return true;
	return false;
}

static void test_sections(void)
{
	struct upsmonconf *c = conf("ups.conf", "maxretry = 3\n[a]\ndriver=usbhid-ups\n"
						"port = auto\nignorelb\n[b]\nupsmon primary\n"
						"desc = \"two words\"\nactions = SET FSD\n= x\n");
	struct nut_sections s;

	CHECK_INT(nut_sections_read(c, &s), 0);
	CHECK_INT(s.n, 3);
	CHECK(s.s[0].name == NULL);
	CHECK_STR(nut_section_get(&s.s[0], "MAXRETRY", NULL), "3");
	CHECK_STR(s.s[1].name, "a");
	CHECK_STR(nut_section_get(&s.s[1], "driver", NULL), "usbhid-ups");
	CHECK_STR(nut_section_get(&s.s[1], "ignorelb", NULL), "");
	CHECK_STR(nut_section_get(&s.s[2], "upsmon", NULL), "primary");
	CHECK_STR(nut_section_get(&s.s[2], "desc", NULL), "two words");
	CHECK_STR(nut_section_get(&s.s[2], "actions", NULL), "SET FSD");
	CHECK_INT(c->n_notes, 1); /* "= x": skipped, said */
	CHECK_INT(c->notes[0].line, 10);
	nut_sections_done(&s);
	upsmonconf_free(c);
}

/* A common guide's cable host: usbhid-ups, LISTEN 0.0.0.0, no CERTFILE. */
static void test_plaintext_host(void)
{
	struct files f;
	struct upsd_import *r =
	    import(&f,
		   "[rack]\n driver = usbhid-ups\n port = auto\n vendorid = 051D\n"
		   " serial = \"AS1234\"\n override.battery.runtime.low = 300\n"
		   " pollinterval = 2\n[snmp]\n driver = snmp-ups\n",
		   "LISTEN 0.0.0.0 3493\nMAXCONN 100\n",
		   "[monuser]\n password = \"pass word\"\n upsmon secondary\n"
		   "[upsmon]\n password = p\n upsmon master\n"
		   "[admin]\n password = a\n actions = SET FSD\n");

	CHECK_INT(r->n_local, 2);
	CHECK_STR(r->local[0].ups, "rack");
	CHECK(strstr(r->local[0].options, "\tdriver = \"usb\"\n"));
	CHECK(strstr(r->local[0].options, "\tvendor-id = \"051D\"\n"));
	CHECK(strstr(r->local[0].options, "\tserial = \"AS1234\"\n"));
	CHECK(strstr(r->local[0].options, "\truntime-low = 300"));
	CHECK(has_note(r, 7, "pollinterval"));
	CHECK(r->local[1].options == NULL && r->local[1].nut_port == 3494);
	CHECK(has_note(r, 8, "stays with NUT"));
	CHECK(strstr(r->serve_text, "\tups = {\"rack\"}\n"));
	CHECK(strstr(r->serve_text, "\tlisten-plain = {\"0.0.0.0:3493\"}\n"));
	CHECK(strstr(r->serve_text, "allow = {\"0.0.0.0/0\", \"::/0\"}"));
	CHECK(strstr(r->serve_text, "\tmax-clients = 100"));
	CHECK(strstr(r->serve_text, "\tuser upsmon {\n\t\trole = \"primary\"\n"));
	CHECK(strstr(r->serve_text, "\tuser monuser {\n\t\trole = \"secondary\"\n"));
	/* Plaintext logins only for those that log in with upsmon. */
	CHECK_STR(r->plaintext_users[0], "monuser");
	CHECK_STR(r->plaintext_users[1], "upsmon");
	CHECK(r->plaintext_users[2] == NULL);
	CHECK(has_note(r, 9, "actions"));
	CHECK(has_note(r, 7, "no upsmon line"));
	CHECK_INT(r->n_passwords, 3);
	CHECK_STR(r->passwords[0].password, "pass word");
	CHECK_STR(r->passwords[0].path, "/etc/upsagent/user-monuser.pw");
	/* No password in the text. */
	CHECK(!strstr(r->serve_text, "pass word"));
	files_free(&f, r);
}

/* CERTFILE: STARTTLS on the same addresses, no plaintext login. */
static void test_tls_host(void)
{
	struct files f;
	struct upsd_import *r = import(&f, "[ups]\ndriver = usbhid-ups\nport = auto\n",
				       "LISTEN 192.0.2.5 3493\nLISTEN localhost\nCERTFILE "
				       "/etc/nut/upsd.pem\nMAXAGE 15\nFOO bar\n",
				       "[m]\npassword = x\nupsmon secondary\n");

	CHECK(strstr(r->serve_text, "\tlisten-starttls = {\"192.0.2.5:3493\", "
				    "\"127.0.0.1:3493\", \"[::1]:3493\"}\n"));
	CHECK(strstr(r->serve_text, "\tcert-file = \"/etc/nut/upsd.pem\"\n"));
	CHECK(strstr(r->serve_text, "\tkey-file = \"/etc/nut/upsd.pem\"\n"));
	/* upsd cannot refuse plaintext logins: hosts without FORCESSL 1 used them. */
	CHECK(strstr(r->serve_text, "remove this line once every host of this user has "
				    "FORCESSL 1.\n\t\tplaintext-login = true\n"));
	CHECK(!strstr(r->serve_text, "allow"));
	CHECK_STR(r->plaintext_users[0], "m");
	CHECK(!has_note(r, 4, "MAXAGE")); /* upsd's default: nothing to say */
	CHECK(has_note(r, 5, "FOO has no counterpart"));
	files_free(&f, r);
}

/* No usbhid-ups UPS: nothing served, said; no upsd.conf: loopback only. */
static void test_nothing_to_serve(void)
{
	struct files f;
	struct upsd_import *r = import(&f, "[x]\ndriver = nutdrv_qx\n", NULL, NULL);

	CHECK(r->serve_text == NULL);
	CHECK(has_note(r, 0, "nothing to serve"));
	files_free(&f, r);
	r = import(&f, "[x]\ndriver = usbhid-ups\n[bad name]\ndriver = usbhid-ups\n", NULL, NULL);
	CHECK(strstr(r->serve_text, "listen-plain = {\"127.0.0.1:3493\", \"[::1]:3493\"}"));
	CHECK(!strstr(r->serve_text, "allow"));
	CHECK(has_note(r, 0, "no user"));
	CHECK_INT(r->n_local, 1);
	files_free(&f, r);
}

int main(void)
{
	TEST_RUN(test_sections);
	TEST_RUN(test_plaintext_host);
	TEST_RUN(test_tls_host);
	TEST_RUN(test_nothing_to_serve);
	return 0;
}
