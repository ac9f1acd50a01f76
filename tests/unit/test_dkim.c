/*
 * test_dkim.c - unit tests of the DKIM key record grammar (proto/dkim.c):
 * hand-written cases with keys generated for these tests, then every case
 * of the third-party conformance file dkim/key_vectors.json, each with our
 * own stated expectation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "polcache/error.h"
#include "dkim.h"
#include "grammar_testutil.h"
#include "testutil.h"

/* Public keys made with openssl genrsa / genpkey for these tests only. */
#define RSA512_SPKI \
    "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBALHc/YGOwRyuLccBGmiALcoEjIODqD5o" \
    "PLV0fUqlvdHiHhg9qUhzSdsPPpzAb21zj9bPwffeoKmx5/bJu1RjWYcCAwEAAQ=="
#define RSA512_PKCS1 \
    "MEgCQQCx3P2BjsEcri3HARpogC3KBIyDg6g+aDy1dH1Kpb3R4h4YPalIc0nbDz6c" \
    "wG9tc4/Wz8H33qCpsef2ybtUY1mHAgMBAAE="
#define RSA1024_SPKI \
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDefntTT099F2BXkor1Kzh2atFm" \
    "21AL9WYK3AzPXqYMhZQsKgrTmayj+EMi4ihVwQejwMZj7oyrpkMQkMGDezdXotM4" \
    "5V8X/iDMATViVgGQLT32Mv8JWvvx/0sfKSZJzC0jwBRIB263C6CJ3g18RIfvKnsc" \
    "2on1/7VnuQ5X78uUJwIDAQAB"
#define RSA1024_PKCS1 \
    "MIGJAoGBAN5+e1NPT30XYFeSivUrOHZq0WbbUAv1ZgrcDM9epgyFlCwqCtOZrKP4" \
    "QyLiKFXBB6PAxmPujKumQxCQwYN7N1ei0zjlXxf+IMwBNWJWAZAtPfYy/wla+/H/" \
    "Sx8pJknMLSPAFEgHbrcLoIneDXxEh+8qexzaifX/tWe5Dlfvy5QnAgMBAAE="
#define RSA2048_SPKI \
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAyuxD0yFIOdI7CM5WQRdU" \
    "6fgzVg77R+juB6k0D1HMe4QUH3BCXtFbHOv5u0yWpnY1170dL2gFadnCboFOHo9t" \
    "FtXJ91O3RZMRKwGBKd1bLFRP44o/PELHd3WNlmc6YkVoasBG1+VjQ1uKsZ62Bf5p" \
    "AgtHERhvR6dyqQ1zFi956HRRdgj1X5kzFlf09alAYCPLmHqGffP2C2e8gpZTa9VU" \
    "7J2ztt05u2I31z8NnHXtqmrfTTIW9vMKF6bOj36BLvOMHq5OHFZM9UC/bAtCzyAS" \
    "IcrwqCNJd8eX/qzgqLxTQkLEr8nvkqUn06yiENhz89y6E0gd/HGKbJg5GXkewuXu" \
    "aQIDAQAB"
#define RSA2048_PKCS1 \
    "MIIBCgKCAQEAyuxD0yFIOdI7CM5WQRdU6fgzVg77R+juB6k0D1HMe4QUH3BCXtFb" \
    "HOv5u0yWpnY1170dL2gFadnCboFOHo9tFtXJ91O3RZMRKwGBKd1bLFRP44o/PELH" \
    "d3WNlmc6YkVoasBG1+VjQ1uKsZ62Bf5pAgtHERhvR6dyqQ1zFi956HRRdgj1X5kz" \
    "Flf09alAYCPLmHqGffP2C2e8gpZTa9VU7J2ztt05u2I31z8NnHXtqmrfTTIW9vMK" \
    "F6bOj36BLvOMHq5OHFZM9UC/bAtCzyASIcrwqCNJd8eX/qzgqLxTQkLEr8nvkqUn" \
    "06yiENhz89y6E0gd/HGKbJg5GXkewuXuaQIDAQAB"
#define RSA4608_SPKI \
    "MIICYjANBgkqhkiG9w0BAQEFAAOCAk8AMIICSgKCAkEAoRvBRfpwPe/UecdgjRzn" \
    "b6nedjave/giB0Du/pA/Wu95N6GFmCoEKmYdFCP6Ah6EM4tplLCQojqGJ0iJeWjV" \
    "9JxuamgeCC2NUp2fWAKB5kUOOYLu2qJteG+607QtfpIoNr17j8K97II4XBkU5C3O" \
    "OBcxNn7o0R1z/iWire3CMsM5YdgEmEfOJd9s8t6mjow+My0yifXaL3hsc9iyj6IX" \
    "4ItYEI03NGyXnV5MkQ1psLwm1s+F2W/kvluLmMmlpLuNUEBxxUcC0RwhMozAx+eG" \
    "H6CReRd5hLHZabPfDfsgm6HvrXQ2YV8/G9nXamBPJj4vivU4moqjYij4hOqNMaNi" \
    "HqtABCjbUehx86i0amdcJ30BmjM1TXc4/1N/aAaEjsLO27QNJPNDoP9Hk1DuX6l6" \
    "211IcEWdgI+MIM28ELugIZANd79btQ4SIMTMSohtVhArl6evWSlVrxfySG27THVv" \
    "tzXAfR/5UajowI3A9qQKTfEFcfM/KjlNFWitaNqevO7dzS8efoA6WZl+cF8EBuyz" \
    "mlt3ST89myZ4i0UBzYyhIzJPFm51rgWz8E7R1dl/GsswJt0sU8urQJ8Ds9FvnxfT" \
    "BExaQIDhu8QE5QCKaHqECDHH9nqFfE+BHG0M0EY5E758KJuu/xHGiAztYbVeqTdz" \
    "Ej8Alz7EMyrkkWwv72UdQJ6W4fqvgKrBSTMfGUc4ohMIx8cufznHNgT+xFPG4DlN" \
    "Gg4RxfVhlvCG4scH37SEKaswQtW75i+oljHTMfD3TFvdAgMBAAE="
#define ED25519_RAW \
    "wpsQLvAbYGd+BowBqFQt03f82g5jVRnAtUZZ6nLJFp4="
#define ED25519_SPKI \
    "MCowBQYDK2VwAyEAwpsQLvAbYGd+BowBqFQt03f82g5jVRnAtUZZ6nLJFp4="
#define EC_SPKI \
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEnLrPAWakroyarmma8gPmUwoVYee8" \
    "wfLGnRAWeYdilXOhp5xcMtfQNXV12F3uIFkycZpZaBKF1D0mEmGBVtb+6g=="
#define RSAPSS_SPKI \
    "MIGdMAsGCSqGSIb3DQEBCgOBjQAwgYkCgYEA5kQW8wUkvbNPTFb89zx3lRpaR1gz" \
    "VzHDkppl6KFGv1HNLNkI7v1r3aBloFe8/BTLmoLRwd9XIv9/sBfhh2NzevznIFBJ" \
    "0MnHbBZK8MOB70Cmyx0aL0nAB6UeQdKd2UOgRHSmLrHqVI/K25TKVZowI8Wga3+7" \
    "Aug8X3EWi7WRWiMCAwEAAQ=="

/* ---- helpers ------------------------------------------------------------ */

static int parse(const char *s, pc_dkim_t *d)
{
    return pc_dkim_parse(s, strlen(s), d, NULL);
}

/* has_warning, field, assert_field */
GT_RECORD_HELPERS(pc_dkim_t, pc_dkim_fields)

static pc_dkim_t *new_dkim(void)
{
    pc_dkim_t *d = malloc(sizeof(*d));

    assert_non_null(d);
    return d;
}

/* ---- hand-written cases ------------------------------------------------- */

static void test_args(void **state)
{
    pc_dkim_t *d = new_dkim();
    pc_perr_t e;

    (void)state;
    assert_int_equal(pc_dkim_parse("p=", 2, NULL, &e), PC_EINVAL);
    assert_int_equal(pc_dkim_parse(NULL, 2, d, &e), PC_EINVAL);
    assert_int_equal(pc_dkim_parse(NULL, 0, d, &e), PC_ERECORD); /* no p= */
    assert_int_equal(pc_dkim_parse("p=", 2, d, NULL), 0);
    assert_int_equal(pc_dkim_fields(NULL, gt_probe_cb, NULL), PC_EINVAL);
    assert_int_equal(pc_dkim_fields(d, NULL, NULL), PC_EINVAL);
    assert_string_equal(pc_dkim_reason_name(PC_DKIM_WEAK_KEY), "weak-key");
    assert_string_equal(pc_dkim_reason_name((pc_dkim_reason_t)99), "?");
    free(d);
}

static void test_rsa_keys(void **state)
{
    pc_dkim_t *d = new_dkim();
    pc_perr_t e;

    (void)state;
    assert_int_equal(parse("v=DKIM1; k=rsa; p=" RSA2048_SPKI, d), 0);
    assert_true(d->usable);
    assert_int_equal(d->reason, PC_DKIM_USABLE);
    assert_int_equal(d->ktype, PC_DKIM_K_RSA);
    assert_int_equal(d->bits, 2048);
    assert_true(d->key_spki);
    assert_int_equal(d->key_len, 294);
    assert_int_equal(d->warnings.n, 0);
    assert_field(d, "p", RSA2048_SPKI, PC_FIELD_EXPLICIT);
    assert_field(d, "k", "rsa", PC_FIELD_EXPLICIT);
    assert_field(d, "h", "*", PC_FIELD_DEFAULT);
    assert_field(d, "s", "*", PC_FIELD_DEFAULT);
    assert_field(d, "v", "DKIM1", PC_FIELD_EXPLICIT);

    assert_int_equal(parse("p=" RSA2048_PKCS1, d), 0);
    assert_true(d->usable);
    assert_int_equal(d->bits, 2048);
    assert_false(d->key_spki);
    assert_true(has_warning(d, "rsa-pkcs1"));
    assert_field(d, "v", "DKIM1", PC_FIELD_DEFAULT);
    assert_field(d, "k", "rsa", PC_FIELD_DEFAULT);

    assert_int_equal(parse("p=" RSA1024_SPKI, d), 0);
    assert_true(d->usable);
    assert_int_equal(d->bits, 1024);
    assert_true(has_warning(d, "rsa-short"));
    assert_int_equal(parse("p=" RSA1024_PKCS1, d), 0);
    assert_int_equal(d->bits, 1024);

    assert_int_equal(parse("p=" RSA512_SPKI, d), 0);
    assert_false(d->usable);
    assert_int_equal(d->reason, PC_DKIM_WEAK_KEY);
    assert_int_equal(d->bits, 512);
    assert_true(has_warning(d, "rsa-weak"));
    assert_int_equal(parse("p=" RSA512_PKCS1, d), 0);
    assert_int_equal(d->reason, PC_DKIM_WEAK_KEY);

    assert_int_equal(parse("p=" RSA4608_SPKI, d), 0);
    assert_true(d->usable);
    assert_int_equal(d->bits, 4608);
    assert_true(has_warning(d, "rsa-large"));

    /* other key material under k=rsa */
    assert_int_equal(pc_dkim_parse("p=" EC_SPKI, strlen("p=" EC_SPKI), d, &e),
                     PC_EKEY);
    assert_int_equal(e.pos, 2);
    assert_false(d->usable);
    assert_int_equal(parse("p=" RSAPSS_SPKI, d), PC_EKEY);
    assert_int_equal(parse("p=" ED25519_RAW, d), PC_EKEY);
    /* trailing octets after the DER are refused */
    assert_int_equal(parse("p=" RSA1024_SPKI "AAAA", d), PC_EKEY);
    free(d);
}

static void test_ed25519(void **state)
{
    pc_dkim_t *d = new_dkim();

    (void)state;
    assert_int_equal(parse("v=DKIM1; k=ed25519; p=" ED25519_RAW, d), 0);
    assert_true(d->usable);
    assert_int_equal(d->ktype, PC_DKIM_K_ED25519);
    assert_int_equal(d->bits, 256);
    assert_int_equal(d->key_len, 32);
    assert_field(d, "p", ED25519_RAW, PC_FIELD_EXPLICIT);
    /* RFC 8463: the raw key, not SubjectPublicKeyInfo */
    assert_int_equal(parse("k=ed25519; p=" ED25519_SPKI, d), PC_EKEY);
    assert_int_equal(parse("k=ed25519; p=AAAA", d), PC_EKEY);
    assert_int_equal(parse("k=ed25519; h=sha256; p=" ED25519_RAW, d), 0);
    assert_true(d->usable);
    free(d);
}

static void test_base64(void **state)
{
    pc_dkim_t *d = new_dkim();
    char rec[8192];
    pc_perr_t e;
    size_t i, o;

    (void)state;
    /* FWS anywhere inside the value */
    assert_int_equal(parse("k=ed25519; p = wpsQLvAb YGd+Bo\twBqFQt03f82g5jVR"
                           "\r\n nAtUZZ6nLJFp4 =", d), 0);
    assert_true(d->usable);
    assert_field(d, "p", ED25519_RAW, PC_FIELD_EXPLICIT);
    assert_int_equal(pc_dkim_parse("p=AAA!", 6, d, &e), PC_EKEY);
    assert_int_equal(e.pos, 5);
    assert_int_equal(parse("p=AAA", d), PC_EKEY);         /* no padding */
    assert_int_equal(parse("p=AA=A", d), PC_EKEY);        /* data after = */
    assert_int_equal(parse("p=A===", d), PC_EKEY);        /* three pads */
    assert_int_equal(parse("p====", d), PC_EKEY);
    assert_int_equal(parse("p=-_AA", d), PC_EKEY);        /* base64url */
    /* revoked: empty, or whitespace only */
    assert_int_equal(parse("v=DKIM1; p=", d), 0);
    assert_true(d->revoked);
    assert_false(d->usable);
    assert_int_equal(d->reason, PC_DKIM_REVOKED);
    assert_true(has_warning(d, "revoked"));
    assert_field(d, "p", "", PC_FIELD_EXPLICIT);
    assert_int_equal(parse("p= \t ;", d), 0);
    assert_true(d->revoked);
    /* over the size limit */
    o = (size_t)snprintf(rec, sizeof(rec), "p=");
    for (i = 0; i < 4000; i++)
        rec[o++] = 'A';
    rec[o] = '\0';
    assert_int_equal(parse(rec, d), PC_ETOOBIG);
    free(d);
}

static void test_tags(void **state)
{
    pc_dkim_t *d = new_dkim();

    (void)state;
    /* h= */
    assert_int_equal(parse("h=sha256; p=" RSA2048_SPKI, d), 0);
    assert_true(d->usable);
    assert_int_equal(d->hashes, PC_DKIM_H_SHA256);
    assert_field(d, "h", "sha256", PC_FIELD_EXPLICIT);
    assert_int_equal(parse("h=sha1 : sha256; p=" RSA2048_SPKI, d), 0);
    assert_true(d->usable);
    assert_true(has_warning(d, "h-sha1"));
    assert_field(d, "h", "sha1:sha256", PC_FIELD_EXPLICIT);
    assert_int_equal(parse("h=sha1; p=" RSA2048_SPKI, d), 0);
    assert_false(d->usable);
    assert_int_equal(d->reason, PC_DKIM_SHA1_ONLY);
    assert_int_equal(parse("h=md5; p=" RSA2048_SPKI, d), 0);
    assert_int_equal(d->reason, PC_DKIM_NO_HASH);
    assert_true(has_warning(d, "h-unknown"));
    assert_int_equal(parse("h=SHA256; p=" RSA2048_SPKI, d), 0);
    assert_int_equal(d->reason, PC_DKIM_NO_HASH);
    assert_non_null(strstr(d->warnings.w[0].text, "case-sensitive"));
    assert_int_equal(parse("h=; p=", d), PC_ERECORD);
    assert_int_equal(parse("h=sha256:; p=", d), PC_ERECORD);
    assert_int_equal(parse("h=sha 256; p=", d), PC_ERECORD);
    assert_int_equal(parse("h=sha256-; p=", d), PC_ERECORD);
    /* k= */
    assert_int_equal(parse("k=RSA; p=" RSA2048_SPKI, d), 0);
    assert_int_equal(d->ktype, PC_DKIM_K_UNKNOWN);
    assert_int_equal(d->reason, PC_DKIM_UNKNOWN_KTYPE);
    assert_true(has_warning(d, "k-unknown"));
    assert_field(d, "k", "RSA", PC_FIELD_EXPLICIT);
    assert_int_equal(parse("k=; p=", d), PC_ERECORD);
    assert_int_equal(parse("k=rsa:ed25519; p=", d), PC_ERECORD);
    /* s= */
    assert_int_equal(parse("s=email; p=" RSA2048_SPKI, d), 0);
    assert_true(d->usable);
    assert_int_equal(d->services, PC_DKIM_S_EMAIL);
    assert_int_equal(parse("s=tlsrpt:*; p=" RSA2048_SPKI, d), 0);
    assert_true(d->usable);
    assert_true(has_warning(d, "s-unknown"));
    assert_int_equal(parse("s=tlsrpt; p=" RSA2048_SPKI, d), 0);
    assert_false(d->usable);
    assert_int_equal(d->reason, PC_DKIM_NOT_EMAIL);
    assert_true(has_warning(d, "not-for-email"));
    assert_int_equal(parse("s=; p=", d), PC_ERECORD);
    assert_int_equal(parse("s=**; p=", d), PC_ERECORD);
    /* t= */
    assert_int_equal(parse("t=y:s; p=" RSA2048_SPKI, d), 0);
    assert_int_equal(d->flags, PC_DKIM_T_TESTING | PC_DKIM_T_STRICT);
    assert_true(d->usable);
    assert_true(has_warning(d, "testing"));
    assert_field(d, "t", "y:s", PC_FIELD_EXPLICIT);
    assert_int_equal(parse("t=x; p=" RSA2048_SPKI, d), 0);
    assert_int_equal(d->flags, 0);
    assert_true(has_warning(d, "t-unknown"));
    assert_int_equal(parse("t=; p=", d), PC_ERECORD);
    /* n= is kept as written, bounded */
    assert_int_equal(parse("n=see=3Dhere; p=", d), 0);
    assert_string_equal(d->notes, "see=3Dhere");
    assert_int_equal(parse("n=; p=", d), 0);
    assert_false(has_warning(d, "notes-truncated"));
    free(d);
}

static void test_reason_order(void **state)
{
    pc_dkim_t *d = new_dkim();

    (void)state;
    /* every reason warns, the first in enum order is the reason */
    assert_int_equal(parse("k=foo; s=x; h=sha1; p=", d), 0);
    assert_int_equal(d->reason, PC_DKIM_REVOKED);
    assert_true(has_warning(d, "unknown-key-type"));
    assert_true(has_warning(d, "not-for-email"));
    assert_true(has_warning(d, "sha1-only"));
    assert_int_equal(parse("s=x; h=sha1; p=" RSA512_SPKI, d), 0);
    assert_int_equal(d->reason, PC_DKIM_NOT_EMAIL);
    assert_true(has_warning(d, "rsa-weak"));
    free(d);
}

static void test_tag_list(void **state)
{
    pc_dkim_t *d = new_dkim();
    pc_perr_t e;

    (void)state;
    assert_int_equal(pc_dkim_parse("k=rsa; v=DKIM1; p=", 18, d, &e), PC_ERECORD);
    assert_int_equal(e.pos, 9);
    assert_int_equal(parse("v=DKIM2; p=", d), PC_ENOENT);
    assert_int_equal(parse("v=DKIM1.0; p=", d), PC_ENOENT);
    assert_int_equal(parse("v = DKIM1 ; p=", d), 0);
    assert_int_equal(parse("V=DKIM1; p=", d), 0);   /* V is another tag */
    assert_true(has_warning(d, "unknown-tag"));
    assert_int_equal(parse("P=", d), PC_ERECORD);   /* and P too */
    /* repeated tags invalidate the record */
    assert_int_equal(pc_dkim_parse("p=; k=rsa; k=rsa", 16, d, &e), PC_ERECORD);
    assert_int_equal(e.pos, 11);
    assert_int_equal(parse("v=DKIM1; v=DKIM1; p=", d), PC_ERECORD);
    /* malformed segments */
    assert_int_equal(parse("v=DKIM1; foo; p=", d), PC_ERECORD);
    assert_int_equal(parse("1a=b; p=", d), PC_ERECORD);
    assert_int_equal(parse("=b; p=", d), PC_ERECORD);
    assert_int_equal(parse("a-b=1; p=", d), PC_ERECORD);
    assert_int_equal(parse("a_b=1; p=", d), 0);
    assert_int_equal(parse("x=a;b; p=", d), PC_ERECORD);
    /* empty segments are tolerated with a warning */
    assert_int_equal(parse("v=DKIM1;; p=;", d), 0);
    assert_true(has_warning(d, "empty-tag"));
    assert_int_equal(parse("v=DKIM1; p=;", d), 0);
    assert_false(has_warning(d, "empty-tag"));
    assert_int_equal(parse("v=DKIM1; p=; ", d), 0);
    assert_true(has_warning(d, "empty-tag"));
    free(d);
}

static void test_octets(void **state)
{
    static const char a[] = "v=DKIM1; p=\0";
    static const char b[] = "v=DKIM1\0; p=";
    static const char c[] = "n=caf\xc3\xa9; p=";
    static const char f[] = "p=; x\0=1";
    static const char g[] = "p=" RSA1024_SPKI;
    pc_dkim_t *d = new_dkim();
    pc_perr_t e;

    (void)state;
    assert_int_equal(pc_dkim_parse(a, sizeof(a) - 1, d, &e), PC_ERECORD);
    assert_int_equal(e.pos, 11);
    assert_int_equal(pc_dkim_parse(b, sizeof(b) - 1, d, &e), PC_ERECORD);
    assert_int_equal(e.pos, 7);
    assert_int_equal(pc_dkim_parse(c, sizeof(c) - 1, d, &e), PC_ERECORD);
    assert_int_equal(pc_dkim_parse(f, sizeof(f) - 1, d, &e), PC_ERECORD);
    /* only len octets are read */
    assert_int_equal(pc_dkim_parse(g, sizeof(g) - 5, d, &e), PC_EKEY);
    assert_int_equal(pc_dkim_parse(g, sizeof(g) - 1, d, &e), 0);
    free(d);
}

static void test_limits(void **state)
{
    pc_dkim_t *d = new_dkim();
    char rec[1024];
    int i, o;

    (void)state;
    o = snprintf(rec, sizeof(rec), "h=sha256");
    for (i = 0; i < PC_DKIM_NAMES_MAX + 1; i++)
        o += snprintf(rec + o, sizeof(rec) - (size_t)o, ":x%c", 'a' + i);
    o += snprintf(rec + o, sizeof(rec) - (size_t)o, ":%040d; p=", 0);
    rec[o - 44] = 'y'; /* a 40-character name starting with a letter */
    assert_int_equal(parse(rec, d), 0);
    assert_int_equal(d->h.n, PC_DKIM_NAMES_MAX);
    assert_int_equal(d->h.dropped, 3);
    assert_true(has_warning(d, "list-limit"));

    o = snprintf(rec, sizeof(rec), "n=");
    for (i = 0; i < 200; i++)
        rec[o++] = 'x';
    snprintf(rec + o, sizeof(rec) - (size_t)o, "; p=");
    assert_int_equal(parse(rec, d), 0);
    assert_int_equal(strlen(d->notes), PC_DKIM_NOTES_LEN - 1);
    assert_true(has_warning(d, "notes-truncated"));
    free(d);
}

static void test_fields_order(void **state)
{
    pc_dkim_t *d = new_dkim();
    gt_order_t p;

    (void)state;
    assert_int_equal(parse("t=s; p=; h=sha256; v=DKIM1", d), PC_ERECORD);
    assert_int_equal(parse("v=DKIM1; t=s; p=; h=sha256", d), 0);
    memset(&p, 0, sizeof(p));
    assert_int_equal(pc_dkim_fields(d, gt_order_cb, &p), 0);
    assert_string_equal(p.names, "v h k n p s t");
    memset(&p, 0, sizeof(p));
    p.stop_after = 2;
    p.stop_rc = -7;
    assert_int_equal(pc_dkim_fields(d, gt_order_cb, &p), -7);
    assert_int_equal(p.calls, 2);
    assert_field(d, "n", "", PC_FIELD_DEFAULT);
    assert_field(d, "t", "s", PC_FIELD_EXPLICIT);
    free(d);
}

/* ---- conformance vectors ------------------------------------------------ */

/*
 * Our expectation for every case of dkim/key_vectors.json, by index. The
 * record is identified by length and FNV-1a hash rather than copied here.
 * "Agree" compares whether the record parses (rc 0, revoked or not) with
 * whether source_expect begins with "valid". differs: the RFC reason when
 * that comparison fails.
 */
typedef struct vcase {
    unsigned idx;
    size_t len;
    uint32_t fnv;
    int rc;
    pc_dkim_reason_t reason;
    unsigned bits;
    const char *what;
    const char *differs;
} vcase_t;

static const vcase_t dkim_cases[] = {
    {0, 0, 0x811c9dc5u, PC_ERECORD, PC_DKIM_USABLE, 0,
     "empty: p= missing", NULL},
    {1, 7, 0x71f78a62u, PC_ERECORD, PC_DKIM_USABLE, 0,
     "version only: p= missing", NULL},
    {2, 11, 0x43d80fb2u, PC_ERECORD, PC_DKIM_USABLE, 0, "v= not first", NULL},
    {3, 13, 0x6c202b69u, 0, PC_DKIM_REVOKED, 0, "WSP after the final ';'",
     "RFC 6376 §3.2 tag-spec allows FWS; we ignore a whitespace-only last "
     "segment (with a warning), and the empty p= means revoked (§3.6.1)"},
    {4, 13, 0x21f3ba29u, PC_ENOENT, PC_DKIM_USABLE, 0,
     "lower-case version value", NULL},
    {5, 55, 0xeb193deeu, PC_EKEY, PC_DKIM_USABLE, 0,
     "32 raw octets under k=rsa", NULL},
    {6, 15, 0xc4eda892u, PC_ERECORD, PC_DKIM_USABLE, 0, "p= repeated", NULL},
    {7, 46, 0xf115e5bau, PC_EKEY, PC_DKIM_USABLE, 0,
     "16-octet ed25519 key", NULL},
    {8, 22, 0x505e2855u, 0, PC_DKIM_REVOKED, 0, "unknown k= and empty p=",
     "RFC 6376 §3.6.1: an unrecognised k= is ignored, not a syntax error; "
     "the key is unusable (and revoked by its empty p=)"},
    {9, 12, 0xc784c3a8u, 0, PC_DKIM_REVOKED, 0,
     "upper-case V is an unknown tag", NULL},
    {10, 169, 0x17b94fa0u, 0, PC_DKIM_SHA1_ONLY, 256,
     "FWS everywhere; upper-case SHA256 is not sha256 (values are "
     "case-sensitive, RFC 6376 §3.2), so h= allows only sha1 (RFC 8301)",
     NULL},
    {11, 402, 0xfbe90a12u, 0, PC_DKIM_USABLE, 2048, "RSA 2048 SPKI", NULL},
    {12, 199, 0xa1a7b46cu, 0, PC_DKIM_USABLE, 1024, "RSA 1024 PKCS#1", NULL},
    {13, 227, 0x16ecd1ffu, 0, PC_DKIM_USABLE, 1024, "RSA 1024 SPKI", NULL},
    {14, 66, 0xbdba6693u, 0, PC_DKIM_USABLE, 256, "ed25519 raw key", NULL},
};
#define DKIM_NCASES (sizeof(dkim_cases) / sizeof(dkim_cases[0]))

/* Compare the vector's "parsed" values with ours ("p_b64" is our "p"). */
static unsigned compare_parsed(const pc_dkim_t *d, json_t *parsed,
                               unsigned idx, unsigned *compared)
{
    gt_probe_t *p = malloc(sizeof(*p));
    const char *key;
    json_t *v;
    unsigned bad = 0;
    char want[1024];

    assert_non_null(p);
    json_object_foreach(parsed, key, v) {
        gt_parsed_text(key, v, want, sizeof(want));
        field(d, strcmp(key, "p_b64") == 0 ? "p" : key, p);
        (*compared)++;
        if (strcmp(p->value, want) != 0) {
            bad++;
            printf("case %u: parsed %s: source '%s', ours '%s'\n", idx, key,
                   want, p->value);
        }
    }
    free(p);
    return bad;
}

static void test_vectors(void **state)
{
    const char *path = pc_test_conformance_file("dkim/key_vectors.json");
    pc_dkim_t *d = new_dkim();
    json_t *root = gt_vectors_load(path, DKIM_NCASES);
    gt_tally_t t = {0};
    gt_vector_t c;
    size_t i;

    (void)state;
    for (i = 0; i < json_array_size(root); i++) {
        const vcase_t *vc = &dkim_cases[i];
        int rc;

        gt_vector_get(root, i, path, vc->idx, vc->len, vc->fnv, &c);
        rc = pc_dkim_parse(c.text, c.len, d, NULL);
        if (rc != vc->rc || (rc == 0 && (d->reason != vc->reason ||
                                         d->bits != vc->bits))) {
            t.unexpected++;
            printf("case %zu (%s): rc %d reason %s bits %u, expected rc %d "
                   "reason %s bits %u\n", i, vc->what, rc,
                   pc_dkim_reason_name(d->reason), d->bits, vc->rc,
                   pc_dkim_reason_name(vc->reason), vc->bits);
            continue;
        }
        gt_judge(&t, i, vc->what, c.src, strncmp(c.src, "valid", 5) == 0, rc == 0,
                 vc->differs, "return", pc_err_name(rc));
        if (json_is_object(c.parsed) && rc == 0)
            t.fdiff += compare_parsed(d, c.parsed, vc->idx, &t.compared);
    }
    gt_report("dkim", root, &t, "");
    json_decref(root);
    free(d);
    assert_int_equal(t.unexpected, 0);
    assert_int_equal(t.fdiff, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_rsa_keys),
        cmocka_unit_test(test_ed25519),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_reason_order),
        cmocka_unit_test(test_tag_list),
        cmocka_unit_test(test_octets),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_fields_order),
    };
    const struct CMUnitTest vectors[] = {
        cmocka_unit_test(test_vectors),
    };

    return GT_RUN_GROUPS("dkim", tests, vectors);
}
