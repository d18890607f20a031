/* Wire spec 7.2 and 7.3: the full path check, the simple check, parents. */
#include "proto/err.h"
#include "proto/path.h"
#include "tests/lib/check.h"
#include "tests/proto/suites.h"

/* Validates a path given as a literal (embedded NULs allowed). */
#define VALIDATE(lit) validate_block(lit, sizeof(lit) - 1)

static int validate_block(const char *s, size_t n)
{
    /* An exact-size heap copy: the check must not read a byte past n. */
    return coord_path_validate((const char *)proto_block(s, n), n);
}

#define OK(lit) CHECK_EQ_INT(VALIDATE(lit), 0)
#define BAD(lit) CHECK_EQ_INT(VALIDATE(lit), COORD_EBADARGUMENTS)

static void root_and_plain_paths_are_valid(void)
{
    OK("/");
    OK("/a");
    OK("/a/b/c");
    OK("/zookeeper/config");
    OK("/lock-0000000001");
    OK("/a b/~!@#$%^&*()");
}

static void null_empty_and_relative_paths_are_refused(void)
{
    CHECK_EQ_INT(coord_path_validate(NULL, 0), COORD_EBADARGUMENTS);
    BAD("");
    BAD("a");
    BAD("a/b");
    BAD(" /a");
}

static void a_trailing_slash_is_refused_except_on_the_root(void)
{
    BAD("/a/");
    BAD("/a/b/");
    BAD("//");
}

static void empty_components_are_refused(void)
{
    BAD("//a");
    BAD("/a//b");
    BAD("/p//x");
}

static void dot_and_dotdot_components_are_refused(void)
{
    BAD("/.");
    BAD("/..");
    BAD("/a/./b");
    BAD("/a/../b");
    BAD("/a/.");
    BAD("/a/..");
    BAD("/./a");
}

static void other_dot_names_are_fine(void)
{
    OK("/...");
    OK("/.a");
    OK("/a.");
    OK("/..a");
    OK("/a/.../b");
    OK("/.zookeeper");
}

static void nul_is_refused_anywhere(void)
{
    BAD("/\0");
    BAD("/a\0b");
    BAD("/a/\0");
    /* The length, not a terminator, ends the path. */
    CHECK_EQ_INT(validate_block("/ab", 2), 0);
}

static void control_characters_are_refused(void)
{
    BAD("/a\x01");
    BAD("/\x1f");
    BAD("/a\nb");
    BAD("/\t");
    BAD("/\x7f");
    BAD("/\xc2\x80");     /* U+0080 */
    BAD("/\xc2\x9f");     /* U+009F */
    OK("/\xc2\xa0");      /* U+00A0, the first one allowed again */
    OK("/\x20");
    OK("/\x7e");
}

static void surrogates_and_private_use_are_refused(void)
{
    BAD("/\xed\xa0\x80");             /* U+D800 */
    BAD("/\xed\xbf\xbf");             /* U+DFFF */
    BAD("/\xee\x80\x80");             /* U+E000, refused live */
    BAD("/\xef\xa3\xbf");             /* U+F8FF */
    OK("/\xef\xa4\x80");              /* U+F900 */
    OK("/\xed\x9f\xbf");              /* U+D7FF */
    BAD("/\xed\xa0\xbd\xed\xb8\x80"); /* CESU-8 pair from a Java client */
}

static void specials_and_astral_code_points_are_refused(void)
{
    BAD("/\xef\xbf\xb0");     /* U+FFF0 */
    BAD("/\xef\xbf\xbd");     /* U+FFFD, what bad UTF-8 becomes */
    BAD("/\xef\xbf\xbf");     /* U+FFFF */
    OK("/\xef\xbf\xaf");      /* U+FFEF */
    BAD("/\xf0\x9f\x98\x80"); /* U+1F600, emoji, refused live */
    BAD("/\xf0\x90\x80\x80"); /* U+10000 */
    BAD("/\xf4\x8f\xbf\xbf"); /* U+10FFFF */
}

static void non_ascii_letters_are_accepted(void)
{
    OK("/caf\xc3\xa9");                  /* café */
    OK("/\xe4\xb8\xad\xe6\x96\x87");     /* 中文 */
    OK("/\xd0\xbf\xd1\x83\xd1\x82\xd1\x8c/x");
}

static void invalid_utf8_is_refused(void)
{
    BAD("/\x80");         /* stray continuation */
    BAD("/a\xbf");
    BAD("/\xc3");         /* cut 2-byte sequence at the end */
    BAD("/\xc3/a");       /* cut before a slash */
    BAD("/\xe4\xb8");     /* cut 3-byte sequence */
    BAD("/\xe4\xb8x");
    BAD("/\xf0\x9f\x98"); /* cut 4-byte sequence */
    BAD("/\xf8\x88\x80\x80\x80");
    BAD("/\xfe");
    BAD("/\xff");
}

static void overlong_encodings_are_refused(void)
{
    BAD("/\xc0\xaf");             /* '/' in two bytes */
    BAD("/\xc1\xa1");             /* 'a' in two bytes */
    BAD("/\xc0\x80");             /* NUL in two bytes (modified UTF-8) */
    BAD("/\xe0\x80\xaf");         /* '/' in three bytes */
    BAD("/\xe0\x9f\xbf");         /* U+07FF in three bytes */
    BAD("/\xf0\x80\x80\xaf");     /* '/' in four bytes */
    BAD("/a/\xc0\xae\xc0\xae/b"); /* ".." smuggled in overlong form */
}

static void simple_check_wants_a_slash_and_no_nul(void)
{
    CHECK_TRUE(coord_path_simple_ok("/", 1));
    CHECK_TRUE(coord_path_simple_ok("/p//x", 5));
    CHECK_TRUE(coord_path_simple_ok("/p/", 3));
    CHECK_TRUE(coord_path_simple_ok("a/", 2));
    CHECK_TRUE(!coord_path_simple_ok("abc", 3));
    CHECK_TRUE(!coord_path_simple_ok("", 0));
    CHECK_TRUE(!coord_path_simple_ok(NULL, 0));
    CHECK_TRUE(!coord_path_simple_ok("/a\0b", 4));
}

static void parent_length_stops_at_the_last_slash(void)
{
    CHECK_EQ_INT(coord_path_parent_len("/a/b", 4), 2);
    CHECK_EQ_INT(coord_path_parent_len("/a", 2), 1);
    CHECK_EQ_INT(coord_path_parent_len("/", 1), 0);
    CHECK_EQ_INT(coord_path_parent_len("/a/bc/def", 9), 5);
    /* Spec 7.2: create /p//x looks for the parent "/p/". */
    CHECK_EQ_INT(coord_path_parent_len("/p//x", 5), 3);
    CHECK_EQ_INT(coord_path_parent_len("abc", 3), 0);
}

CU_TestInfo path_tests[] = {
    {"the root and plain paths are valid", root_and_plain_paths_are_valid},
    {"null, empty and relative paths are refused",
     null_empty_and_relative_paths_are_refused},
    {"a trailing slash is refused except on the root",
     a_trailing_slash_is_refused_except_on_the_root},
    {"empty components are refused", empty_components_are_refused},
    {"dot and dot-dot components are refused",
     dot_and_dotdot_components_are_refused},
    {"other dot names are fine", other_dot_names_are_fine},
    {"NUL is refused anywhere", nul_is_refused_anywhere},
    {"control characters are refused", control_characters_are_refused},
    {"surrogates and private use are refused",
     surrogates_and_private_use_are_refused},
    {"specials and astral code points are refused",
     specials_and_astral_code_points_are_refused},
    {"non-ASCII letters are accepted", non_ascii_letters_are_accepted},
    {"invalid UTF-8 is refused", invalid_utf8_is_refused},
    {"overlong encodings are refused", overlong_encodings_are_refused},
    {"the simple check wants a slash and no NUL",
     simple_check_wants_a_slash_and_no_nul},
    {"the parent length stops at the last slash",
     parent_length_stops_at_the_last_slash},
    CU_TEST_INFO_NULL,
};
