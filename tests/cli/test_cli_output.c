/*
 * test_cli_output.c - dmarc-query's two writers without a daemon: the
 * JSON writer (every string escaped so jansson reads back exactly what was
 * meant, octets that are not UTF-8 replaced, nesting, numbers) and the
 * human output (escaping of control octets, wrapping at 80 columns).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cli.h"

/* Run fn on a memory stream and return what it wrote (caller frees). */
static char *capture(void (*fn)(FILE *f, void *arg), void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    fn(f, arg);
    fclose(f);
    return buf;
}

static void write_doc(FILE *f, void *arg)
{
    cli_json_t w;
    (void)arg;

    cli_json_init(&w, f);
    cli_json_obj_begin(&w, NULL);
    cli_json_str(&w, "plain", "v=DMARC1; p=reject");
    cli_json_str(&w, "quote\"key", "a \"quoted\" \\ back\\slash/");
    cli_json_str(&w, "controls", "tab\tnl\ncr\resc\033del\177bell\007");
    cli_json_strn(&w, "nul", "a\0b", 3);
    cli_json_str(&w, "utf8", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7");
    cli_json_str(&w, "bad", "x\xffy\xc0\xafz\xed\xa0\x80w\xe2\x82");
    cli_json_str(&w, "null", NULL);
    cli_json_null(&w, "null2");
    cli_json_uint(&w, "big", (uint64_t)INT64_MAX);
    cli_json_int(&w, "neg", -20);
    cli_json_bool(&w, "yes", 1);
    cli_json_bool(&w, "no", 0);
    cli_json_arr_begin(&w, "empty_arr");
    cli_json_arr_end(&w);
    cli_json_obj_begin(&w, "empty_obj");
    cli_json_obj_end(&w);
    cli_json_arr_begin(&w, "nested");
    for (int i = 0; i < 3; i++) {
        cli_json_obj_begin(&w, NULL);
        cli_json_int(&w, "i", i);
        cli_json_arr_begin(&w, "deep");
        cli_json_str(&w, NULL, "x");
        cli_json_arr_end(&w);
        cli_json_obj_end(&w);
    }
    cli_json_arr_end(&w);
    cli_json_obj_end(&w);
    cli_json_finish(&w);
}

static void test_json_roundtrip(void **state)
{
    char *text = capture(write_doc, NULL);
    json_error_t je;
    json_t *doc, *v;
    (void)state;

    doc = json_loads(text, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (doc == NULL)
        fail_msg("%s at line %d:\n%s", je.text, je.line, text);
    assert_string_equal(json_string_value(json_object_get(doc, "plain")), "v=DMARC1; p=reject");
    assert_string_equal(json_string_value(json_object_get(doc, "quote\"key")),
                        "a \"quoted\" \\ back\\slash/");
    assert_string_equal(json_string_value(json_object_get(doc, "controls")),
                        "tab\tnl\ncr\resc\033del\177bell\007");
    v = json_object_get(doc, "nul");
    assert_int_equal(json_string_length(v), 3);
    assert_memory_equal(json_string_value(v), "a\0b", 3);
    assert_string_equal(json_string_value(json_object_get(doc, "utf8")),
                        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7");
    /* each octet that starts no well-formed sequence is one U+FFFD */
    assert_string_equal(json_string_value(json_object_get(doc, "bad")),
                        "x\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd"
                        "\xef\xbf\xbdw\xef\xbf\xbd\xef\xbf\xbd");
    assert_true(json_is_null(json_object_get(doc, "null")));
    assert_true(json_is_null(json_object_get(doc, "null2")));
    assert_true(json_is_true(json_object_get(doc, "yes")));
    assert_true(json_is_false(json_object_get(doc, "no")));
    assert_int_equal(json_integer_value(json_object_get(doc, "neg")), -20);
    assert_int_equal(json_array_size(json_object_get(doc, "empty_arr")), 0);
    assert_int_equal(json_object_size(json_object_get(doc, "empty_obj")), 0);
    v = json_object_get(doc, "nested");
    assert_int_equal(json_array_size(v), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(v, 2), "i")), 2);
    assert_int_equal(json_integer_value(json_object_get(doc, "big")), INT64_MAX);
    /* no raw control octet in the text itself */
    for (const char *p = text; *p != '\0'; p++)
        assert_true((unsigned char)*p >= 0x20 || *p == '\n');
    json_decref(doc);
    free(text);
}

/* ---- human output ---- */

typedef struct wrap_arg {
    const char *s;
    size_t n, col, indent;
} wrap_arg_t;

static void write_wrap(FILE *f, void *arg)
{
    wrap_arg_t *a = arg;
    for (size_t i = 0; i < a->col; i++)
        fputc('x', f);
    cli_out_wrap(f, a->col, a->indent, a->s, a->n);
    fputc('\n', f);
}

static char *wrap(const char *s, size_t col, size_t indent)
{
    wrap_arg_t a = {s, strlen(s), col, indent};
    return capture(write_wrap, &a);
}

static void check_lines(const char *text, size_t indent)
{
    int first = 1;

    for (const char *line = text; *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t cols = 0;
        assert_non_null(end);
        for (const char *p = line; p < end; p++)
            cols += ((unsigned char)*p & 0xc0) != 0x80;
        if (cols > CLI_WIDTH)
            fail_msg("%zu columns: %.*s", cols, (int)(end - line), line);
        if (!first) {
            for (size_t i = 0; i < indent; i++)
                assert_int_equal(line[i], ' ');
            assert_true(line[indent] != ' ');
        }
        first = 0;
        line = end + 1;
    }
}

static void test_wrap(void **state)
{
    const char *rua = "v=DMARC1; p=reject; rua=mailto:a@example.org,mailto:b@example.org; "
                      "ruf=mailto:forensic-reports@example.org; fo=1; adkim=s; aspf=s; "
                      "pct=100; ri=3600; sp=quarantine";
    char key[300], *out;
    (void)state;

    out = wrap(rua, 15, 15);
    check_lines(out, 15);
    /* the words are all there, in order, each break one dropped space */
    {
        char *join = malloc(strlen(out) + 1), *o = join;
        const char *p = out + 15;
        while (*p != '\0') {
            if (*p == '\n') {
                *o++ = ' ';
                p++;
                while (*p == ' ')
                    p++;
                continue;
            }
            *o++ = *p++;
        }
        *o = '\0';
        if (o > join && o[-1] == ' ')
            o[-1] = '\0';
        assert_string_equal(join, rua);
        free(join);
    }
    free(out);

    /* a word longer than a line is broken inside */
    memset(key, 'A', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    out = wrap(key, 15, 15);
    check_lines(out, 15);
    assert_int_equal(strlen(out), 15 + strlen(key) + 4 * 16 + 1); /* 5 lines */
    free(out);

    /* short text stays on its line, double spaces kept */
    out = wrap("a  b", 2, 2);
    assert_string_equal(out, "xxa  b\n");
    free(out);
}

static void write_escaped(FILE *f, void *arg)
{
    const char *s = arg;
    size_t w = cli_out_escaped(f, s, strlen(s));
    assert_int_equal(w, cli_out_width(s, strlen(s)));
}

static void check_escaped(const char *in, const char *want)
{
    char *out = capture(write_escaped, (void *)(uintptr_t)in);
    assert_string_equal(out, want);
    free(out);
}

static void test_escape(void **state)
{
    (void)state;
    check_escaped("plain text; p=reject", "plain text; p=reject");
    check_escaped("\033[2J\033]0;owned\007", "\\027[2J\\027]0;owned\\007");
    check_escaped("back\\slash", "back\\\\slash");
    check_escaped("tab\there\r\n", "tab\\009here\\013\\010");
    check_escaped("del\177", "del\\127");
    check_escaped("caf\xc3\xa9", "caf\xc3\xa9");          /* UTF-8 kept */
    check_escaped("c1\xc2\x9b", "c1\\194\\155");           /* C1 CSI escaped */
    check_escaped("bidi\xe2\x80\xae", "bidi\\226\\128\\174"); /* U+202E */
    check_escaped("bad\xff\xc0", "bad\\255\\192");
    assert_int_equal(cli_out_width("caf\xc3\xa9", 5), 4);
    assert_int_equal(cli_out_fit("abc\033def", 8, 5), 3);
    assert_int_equal(cli_out_fit("abc\033def", 8, 7), 4);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(cli_outcome_name(PC_OUTCOME_NORECORD), "no-record");
    assert_string_equal(cli_dnssec_name(PC_DNSSEC_BOGUS), "bogus");
    assert_string_equal(cli_cache_name(PC_CACHE_STALE), "stale");
    assert_string_equal(cli_rtype_name(PC_RT_AAAA), "aaaa");
    assert_int_equal(cli_rtype_parse("DKIM"), PC_RT_DKIM);
    assert_int_equal(cli_rtype_parse("none"), -1);
    assert_int_equal(cli_rtype_parse("bogus"), -1);
    assert_int_equal(cli_dnssec_parse("insecure"), PC_DNSSEC_INSECURE);
    assert_int_equal(cli_dnssec_parse("none"), PC_DNSSEC_NONE);
    assert_int_equal(cli_dnssec_parse("maybe"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_roundtrip),
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
