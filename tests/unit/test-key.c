/* SPDX-License-Identifier: GPL-3.0-or-later */
/* key: program and job keys from argv and cmdline, temp names left out. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gate/key.h"

/* argv of literals (-Wwrite-strings makes them const; nothing writes them). */
#define ARGV(...) ((char *const *)(const char *const[]){ __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(const char *)))
#define KEY(k, ...) ms_key_from_argv(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (k))

static void fnv1a_vectors(void **state)
{
        /* The published FNV-1a 64-bit test vectors. */
        assert_true(ms_fnv1a("", 0, MS_FNV1A_SEED) == UINT64_C(0xcbf29ce484222325));
        assert_true(ms_fnv1a("a", 1, MS_FNV1A_SEED) == UINT64_C(0xaf63dc4c8601ec8c));
        assert_true(ms_fnv1a("foobar", 6, MS_FNV1A_SEED) == UINT64_C(0x85944171f73967e8));
        /* Chaining equals one pass. */
        assert_true(ms_fnv1a("bar", 3, ms_fnv1a("foo", 3, MS_FNV1A_SEED)) ==
                    ms_fnv1a("foobar", 6, MS_FNV1A_SEED));
}

static void program_is_base_name(void **state)
{
        struct ms_key a, b, c;

        KEY(&a, "/usr/lib/gcc/x86_64-linux-gnu/12/cc1", "-quiet", "a.c");
        KEY(&b, "cc1", "-quiet", "b.c");
        KEY(&c, "./cc1");
        assert_string_equal(a.program, "cc1");
        assert_string_equal(b.program, "cc1");
        assert_string_equal(c.program, "cc1");
        assert_true(a.program_hash == b.program_hash);
        assert_true(a.program_hash == c.program_hash);
        assert_true(a.program_hash == ms_fnv1a("cc1", 3, MS_FNV1A_SEED));
        KEY(&c, "/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus", "-quiet", "a.c");
        assert_string_equal(c.program, "cc1plus");
        assert_true(c.program_hash != a.program_hash);
        assert_true(c.job_hash != a.job_hash);
        /* The same arguments, different directory of argv[0]: the same job. */
        KEY(&c, "/opt/gcc/bin/cc1", "-quiet", "a.c");
        assert_true(c.job_hash == a.job_hash);
}

/* sh -c 'CMD ...' (ninja runs every command so): the program is CMD's. */
static void shell_wrapper_program_is_the_command(void **state)
{
        struct ms_key a, b, c, d;

        KEY(&a, "/bin/sh", "-c", "/usr/bin/g++ -O2 -c a.cpp -o a.o");
        KEY(&b, "sh", "-c", "  g++ -O2 -c b.cpp -o b.o");
        assert_string_equal(a.program, "g++");
        assert_string_equal(b.program, "g++");
        assert_true(a.program_hash == ms_fnv1a("g++", 3, MS_FNV1A_SEED));
        assert_true(a.job_hash != b.job_hash);
        /* The job is still the whole command line: not g++'s own key. */
        KEY(&c, "g++", "-O2", "-c", "a.cpp", "-o", "a.o");
        assert_true(c.job_hash != a.job_hash);
        /* Shell syntax in the first word, or no -c: the shell's name. */
        KEY(&d, "sh", "-c", "CC=gcc make");
        assert_string_equal(d.program, "sh");
        KEY(&d, "bash", "-c", "$CC -c x.c");
        assert_string_equal(d.program, "bash");
        KEY(&d, "sh", "build.sh");
        assert_string_equal(d.program, "sh");
        KEY(&d, "sh", "-c", "");
        assert_string_equal(d.program, "sh");
        KEY(&d, "sh", "-c");
        assert_string_equal(d.program, "sh");
        KEY(&d, "sh", "-c", "dir/");
        assert_string_equal(d.program, "dir/");
}

static void program_cut_to_fit(void **state)
{
        struct ms_key a, b;
        const char *x40 = "/usr/bin/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxA";
        const char *y40 = "/usr/bin/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxB";

        KEY(&a, x40);
        KEY(&b, y40);
        assert_int_equal(strlen(a.program), MS_PROGRAM_MAX - 1);
        assert_memory_equal(a.program, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", MS_PROGRAM_MAX - 1);
        assert_string_equal(a.program, b.program);
        /* The hash is over the whole name. */
        assert_true(a.program_hash != b.program_hash);
}

static void empty_argv(void **state)
{
        struct ms_key a, b, c;

        memset(&a, 0x55, sizeof(a));
        ms_key_from_argv(0, ARGV(NULL), &a);
        ms_key_from_cmdline("", 0, &b);
        ms_key_from_argv(0, NULL, &c);
        assert_string_equal(a.program, "");
        assert_true(a.program_hash == MS_FNV1A_SEED);
        assert_true(a.program_hash == b.program_hash && a.job_hash == b.job_hash);
        assert_true(a.program_hash == c.program_hash && a.job_hash == c.job_hash);
        /* A trailing slash leaves no base name. */
        KEY(&c, "/usr/bin/");
        assert_string_equal(c.program, "");
}

static void argument_boundaries_count(void **state)
{
        struct ms_key a, b, c;

        KEY(&a, "prog", "ab", "c");
        KEY(&b, "prog", "a", "bc");
        KEY(&c, "prog", "abc");
        assert_true(a.job_hash != b.job_hash);
        assert_true(a.job_hash != c.job_hash);
        assert_true(b.job_hash != c.job_hash);
        /* An empty argument is an argument. */
        KEY(&a, "prog", "a", "");
        KEY(&b, "prog", "a");
        assert_true(a.job_hash != b.job_hash);
        /* Order counts. */
        KEY(&a, "prog", "-O2", "-g");
        KEY(&b, "prog", "-g", "-O2");
        assert_true(a.job_hash != b.job_hash);
        /* All share the program. */
        assert_true(a.program_hash == c.program_hash);
}

static void volatile_arguments(void **state)
{
        static const char *const yes[] = {
                "/tmp/ccAb3dEf.s",
                "/tmp/ccAb3dEf.o",
                "/tmp/anything",
                "/var/tmp/x.o",
                "/dev/shm/y",
                "@/tmp/ccAb12Cd",
                "@ccAb12Cd",
                "-frandom-seed=0x5f3e2a77",
                "-frandom-seed=foo.o",
                "-o/tmp/ccX1yZab.o",
                "-MF/tmp/deps.d",
                "--output=/tmp/ccX1yZab.o",
                "-plugin-opt=-fresolution=/tmp/ccR3sTuv.res",
                "-fltrans-output-list=/tmp/ccR3sTuv.ltrans.out",
                "-Wl,-Map,/tmp/out.map",
                "/home/u/tmp/ccAb3dEf.s",      /* $TMPDIR elsewhere */
                "ccAb3dEf.o",
                "ccAb3dEf",
                "ccq9xyz1.res",                /* digits alone are enough */
                "/home/u/tmp/ccQ9xYz1.ltrans0.ltrans.o",
                "/build/tmp.Xy12abCD90/out.o", /* mktemp -d */
                "/home/u/t/tmpk2j4_9ab",       /* Python tempfile */
                "/home/u/t/rustcAbC123/symbols.o",
        };
        static const char *const no[] = {
                "",
                "-",
                "-o",
                "-c",
                "-O2",
                "foo.c",
                "foo.o",
                "src/foo.c",
                "/tmp/build/src/foo.c", /* a source below /tmp stays */
                "/tmp/build/src/foo.cpp",
                "/tmp/ccAb3dEf.c",
                "ccompile.o",           /* all lower case: not random */
                "cclient",
                "tmpl_engine.o",
                "tmpfile.o",
                "ccABCDEFG.o",          /* 7 characters, GCC makes 6 */
                "ccAB_DEF.o",
                "cc1plus",
                "/usr/lib/gcc/x86_64-linux-gnu/12/cc1",
                "/tmp",
                "/tmpx/a.o",
                "tmp/a.o",
                "-I/usr/include",
                "-Ltmp",
                "-march=x86-64",
                "-fdebug-prefix-map=/src=.",
                "-dumpbase",
                "-plugin-opt=-pass-through=-lgcc",
                "--sysroot=/",
                "x86_64-linux-gnu",
        };

        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
                if (!ms_key_arg_is_volatile(yes[i]))
                        fail_msg("should be volatile: \"%s\"", yes[i]);
        for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
                if (ms_key_arg_is_volatile(no[i]))
                        fail_msg("should be kept: \"%s\"", no[i]);
}

static void gcc_cc1_runs(void **state)
{
        struct ms_key r1, r2, r3, other, o2;

        /* Two runs of `gcc -O2 -c foo.c`: only the temp name differs. */
        KEY(&r1, "/usr/lib/gcc/x86_64-linux-gnu/12/cc1", "-quiet", "-imultiarch", "x86_64-linux-gnu", "foo.c",
            "-quiet", "-dumpdir", "./", "-dumpbase", "foo.c", "-dumpbase-ext", ".c", "-mtune=generic",
            "-march=x86-64", "-O2", "-o", "/tmp/ccAb3dEf.s");
        KEY(&r2, "/usr/lib/gcc/x86_64-linux-gnu/12/cc1", "-quiet", "-imultiarch", "x86_64-linux-gnu", "foo.c",
            "-quiet", "-dumpdir", "./", "-dumpbase", "foo.c", "-dumpbase-ext", ".c", "-mtune=generic",
            "-march=x86-64", "-O2", "-o", "/tmp/ccQ9xYz1.s");
        /* With TMPDIR=/home/u/tmp. */
        KEY(&r3, "/usr/lib/gcc/x86_64-linux-gnu/12/cc1", "-quiet", "-imultiarch", "x86_64-linux-gnu", "foo.c",
            "-quiet", "-dumpdir", "./", "-dumpbase", "foo.c", "-dumpbase-ext", ".c", "-mtune=generic",
            "-march=x86-64", "-O2", "-o", "/home/u/tmp/cc7TtQ0p.s");
        KEY(&other, "/usr/lib/gcc/x86_64-linux-gnu/12/cc1", "-quiet", "-imultiarch", "x86_64-linux-gnu", "bar.c",
            "-quiet", "-dumpdir", "./", "-dumpbase", "bar.c", "-dumpbase-ext", ".c", "-mtune=generic",
            "-march=x86-64", "-O2", "-o", "/tmp/ccAb3dEf.s");
        KEY(&o2, "/usr/lib/gcc/x86_64-linux-gnu/12/cc1", "-quiet", "-imultiarch", "x86_64-linux-gnu", "foo.c",
            "-quiet", "-dumpdir", "./", "-dumpbase", "foo.c", "-dumpbase-ext", ".c", "-mtune=generic",
            "-march=x86-64", "-O0", "-o", "/tmp/ccAb3dEf.s");
        assert_true(r1.job_hash == r2.job_hash);
        assert_true(r1.job_hash == r3.job_hash);
        assert_true(r1.job_hash != other.job_hash);
        assert_true(r1.job_hash != o2.job_hash);
        assert_true(r1.program_hash == r2.program_hash && r1.program_hash == other.program_hash &&
                    r1.program_hash == o2.program_hash);
        assert_string_equal(other.program, "cc1");

        /* GCC 9 style, with -auxbase-strip and -MD of temp files. */
        KEY(&r1, "cc1", "-quiet", "-MD", "/tmp/ccZz00aa.d", "foo.c", "-quiet", "-dumpbase", "foo.c",
            "-auxbase-strip", "/tmp/ccAb12Cd.o", "-O2", "-o", "/tmp/ccEf34Gh.s");
        KEY(&r2, "cc1", "-quiet", "-MD", "/tmp/ccYy11bb.d", "foo.c", "-quiet", "-dumpbase", "foo.c",
            "-auxbase-strip", "/tmp/ccIj56Kl.o", "-O2", "-o", "/tmp/ccMn78Op.s");
        assert_true(r1.job_hash == r2.job_hash);
        /* An option with a temp value goes with it: as if never given. */
        KEY(&r3, "cc1", "-quiet", "foo.c", "-quiet", "-dumpbase", "foo.c", "-O2");
        assert_true(r1.job_hash == r3.job_hash);
}

static void gxx_cc1plus_random_seed(void **state)
{
        struct ms_key r1, r2, other;

        KEY(&r1, "/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus", "-quiet", "-imultiarch", "x86_64-linux-gnu",
            "-D_GNU_SOURCE", "/tmp/bench/src/unit-json.cpp", "-quiet", "-dumpdir", "CMakeFiles/t.dir/",
            "-dumpbase", "unit-json.cpp.cpp", "-dumpbase-ext", ".cpp", "-mtune=generic", "-march=x86-64", "-O2",
            "-frandom-seed=0x5f3e2a77", "-o", "/tmp/ccXyZ12a.s");
        KEY(&r2, "/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus", "-quiet", "-imultiarch", "x86_64-linux-gnu",
            "-D_GNU_SOURCE", "/tmp/bench/src/unit-json.cpp", "-quiet", "-dumpdir", "CMakeFiles/t.dir/",
            "-dumpbase", "unit-json.cpp.cpp", "-dumpbase-ext", ".cpp", "-mtune=generic", "-march=x86-64", "-O2",
            "-frandom-seed=0x11aa22bb", "-o", "/tmp/cc0PqRsT.s");
        KEY(&other, "/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus", "-quiet", "-imultiarch", "x86_64-linux-gnu",
            "-D_GNU_SOURCE", "/tmp/bench/src/unit-cbor.cpp", "-quiet", "-dumpdir", "CMakeFiles/t.dir/",
            "-dumpbase", "unit-cbor.cpp.cpp", "-dumpbase-ext", ".cpp", "-mtune=generic", "-march=x86-64", "-O2",
            "-frandom-seed=0x5f3e2a77", "-o", "/tmp/ccXyZ12a.s");
        assert_true(r1.job_hash == r2.job_hash);
        /* Sources below /tmp still tell jobs apart. */
        assert_true(r1.job_hash != other.job_hash);
        assert_true(r1.program_hash == other.program_hash);
}

static void as_runs(void **state)
{
        struct ms_key a1, a2, b, t1, t2;

        KEY(&a1, "as", "--64", "-o", "foo.o", "/tmp/ccAb3dEf.s");
        KEY(&a2, "/usr/bin/as", "--64", "-o", "foo.o", "/tmp/ccQ9xYz1.s");
        KEY(&b, "as", "--64", "-o", "bar.o", "/tmp/ccAb3dEf.s");
        KEY(&t1, "as", "--64", "-o", "/tmp/ccK1lmNo.o", "/tmp/ccAb3dEf.s");
        KEY(&t2, "as", "--64", "-o", "/tmp/ccP2qrSt.o", "/tmp/ccUv3wXy.s");
        assert_true(a1.job_hash == a2.job_hash);
        assert_true(a1.job_hash != b.job_hash);
        assert_true(t1.job_hash == t2.job_hash);
        assert_true(t1.job_hash != a1.job_hash);
        assert_string_equal(a2.program, "as");
}

#define COLLECT2_ARGS(res, obj)                                                                               \
        "/usr/lib/gcc/x86_64-linux-gnu/12/collect2", "-plugin", "/usr/lib/gcc/x86_64-linux-gnu/12/liblto_plugin.so", \
                "-plugin-opt=/usr/lib/gcc/x86_64-linux-gnu/12/lto-wrapper", "-plugin-opt=-fresolution=" res,  \
                "-plugin-opt=-pass-through=-lgcc", "-plugin-opt=-pass-through=-lgcc_s",                       \
                "-plugin-opt=-pass-through=-lc", "--build-id", "--eh-frame-hdr", "-m", "elf_x86_64",          \
                "--hash-style=gnu", "-dynamic-linker", "/lib64/ld-linux-x86-64.so.2", "-pie", "-o", "prog",   \
                "/usr/lib/x86_64-linux-gnu/Scrt1.o", "/usr/lib/x86_64-linux-gnu/crti.o",                      \
                "/usr/lib/gcc/x86_64-linux-gnu/12/crtbeginS.o", "-L/usr/lib/gcc/x86_64-linux-gnu/12",         \
                "main.o", "util.o", obj, "-lm", "-lgcc", "--push-state", "--as-needed", "-lgcc_s",            \
                "--pop-state", "-lc", "-lgcc", "/usr/lib/gcc/x86_64-linux-gnu/12/crtendS.o",                  \
                "/usr/lib/x86_64-linux-gnu/crtn.o"

static void collect2_and_ld_runs(void **state)
{
        struct ms_key c1, c2, c3, l1, l2;

        KEY(&c1, COLLECT2_ARGS("/tmp/ccR3sTuv.res", "/tmp/ccK1lmNo.o"));
        KEY(&c2, COLLECT2_ARGS("/tmp/ccA0bC1d.res", "/tmp/ccE2fG3h.o"));
        KEY(&c3, COLLECT2_ARGS("/tmp/ccR3sTuv.res", "other.o"));
        assert_true(c1.job_hash == c2.job_hash);
        assert_true(c1.job_hash != c3.job_hash);
        assert_string_equal(c1.program, "collect2");

        /* collect2 runs ld with the same arguments. */
        KEY(&l1, "/usr/bin/ld", "-plugin", "/usr/lib/gcc/x86_64-linux-gnu/12/liblto_plugin.so",
            "-plugin-opt=-fresolution=/tmp/ccR3sTuv.res", "-pie", "-o", "prog", "main.o", "util.o",
            "/tmp/ccK1lmNo.o", "-lc");
        KEY(&l2, "/usr/bin/ld", "-plugin", "/usr/lib/gcc/x86_64-linux-gnu/12/liblto_plugin.so",
            "-plugin-opt=-fresolution=/tmp/ccZ9yX8w.res", "-pie", "-o", "prog", "main.o", "util.o",
            "/tmp/ccV7uT6s.o", "-lc");
        assert_true(l1.job_hash == l2.job_hash);
        assert_true(l1.program_hash != c1.program_hash);
        /* A response file in place of the arguments. */
        KEY(&l1, "/usr/bin/ld", "@/tmp/ccAb12Cd");
        KEY(&l2, "/usr/bin/ld", "@/tmp/ccEf34Gh");
        assert_true(l1.job_hash == l2.job_hash);
}

static void rustc_runs(void **state)
{
        struct ms_key s1, s2, other, link1, link2;

#define RUSTC(name, src)                                                                                      \
        "rustc", "--crate-name", name, "--edition=2018", src, "--error-format=json",                         \
                "--json=diagnostic-rendered-ansi,artifacts,future-incompat", "--crate-type", "lib",          \
                "--emit=dep-info,metadata,link", "-C", "opt-level=3", "-C", "embed-bitcode=no", "-C",         \
                "metadata=4b1f0e0c6f2e9b8a", "-C", "extra-filename=-4b1f0e0c6f2e9b8a", "--out-dir",          \
                "/home/u/p/target/release/deps", "-L", "dependency=/home/u/p/target/release/deps",           \
                "--cap-lints", "allow"
        KEY(&s1, RUSTC("serde", "/home/u/.cargo/registry/src/serde-1.0.193/src/lib.rs"));
        KEY(&s2, RUSTC("serde", "/home/u/.cargo/registry/src/serde-1.0.193/src/lib.rs"));
        KEY(&other, RUSTC("libc", "/home/u/.cargo/registry/src/libc-0.2.150/src/lib.rs"));
        assert_true(s1.job_hash == s2.job_hash);
        assert_true(s1.job_hash != other.job_hash);
        assert_string_equal(s1.program, "rustc");

        /* rustc links through cc with its own temp directory. */
        KEY(&link1, "cc", "-m64", "/tmp/rustcAbC123/symbols.o",
            "/home/u/p/target/release/deps/prog-5f3a.prog.1a2b3c-cgu.0.rcgu.o", "-Wl,--as-needed", "-o",
            "/home/u/p/target/release/deps/prog-5f3a", "-nodefaultlibs");
        KEY(&link2, "cc", "-m64", "/tmp/rustcXy9Z8w/symbols.o",
            "/home/u/p/target/release/deps/prog-5f3a.prog.1a2b3c-cgu.0.rcgu.o", "-Wl,--as-needed", "-o",
            "/home/u/p/target/release/deps/prog-5f3a", "-nodefaultlibs");
        assert_true(link1.job_hash == link2.job_hash);
#undef RUSTC
}

static void clang_cc1_runs(void **state)
{
        struct ms_key a, b;

        KEY(&a, "/usr/lib/llvm-14/bin/clang", "-cc1", "-triple", "x86_64-pc-linux-gnu", "-emit-obj", "-O2",
            "-main-file-name", "foo.c", "-o", "/tmp/foo-8f2a1c.o", "-x", "c", "foo.c");
        KEY(&b, "/usr/lib/llvm-14/bin/clang", "-cc1", "-triple", "x86_64-pc-linux-gnu", "-emit-obj", "-O2",
            "-main-file-name", "foo.c", "-o", "/tmp/foo-33d9e0.o", "-x", "c", "foo.c");
        assert_true(a.job_hash == b.job_hash);
}

static void trailing_value_option(void **state)
{
        struct ms_key a, b;

        /* "-o" last, without a value: kept, no read past the end. */
        KEY(&a, "as", "x.s", "-o");
        KEY(&b, "as", "x.s");
        assert_true(a.job_hash != b.job_hash);
        /* A non-temporary value keeps the option. */
        KEY(&a, "as", "-o", "x.o");
        KEY(&b, "as", "x.o");
        assert_true(a.job_hash != b.job_hash);
}

/* cmdline text of argv: each string with its NUL. */
static size_t to_cmdline(int argc, char *const *argv, char *buf, size_t size)
{
        size_t n = 0;

        for (int i = 0; i < argc; i++) {
                size_t l = strlen(argv[i]) + 1;
                assert_true(n + l <= size);
                memcpy(buf + n, argv[i], l);
                n += l;
        }
        return n;
}

static void check_cmdline_equals_argv(int argc, char *const *argv)
{
        struct ms_key a, b, c;
        char buf[8192];
        size_t n = to_cmdline(argc, argv, buf, sizeof(buf));

        ms_key_from_argv(argc, argv, &a);
        ms_key_from_cmdline(buf, n, &b);
        assert_string_equal(a.program, b.program);
        assert_true(a.program_hash == b.program_hash);
        assert_true(a.job_hash == b.job_hash);
        /* Without the last NUL (len excludes it); an empty last string then
         * cannot be told from none, as in the kernel's cmdline. */
        if (n > 0 && argv[argc - 1][0]) {
                ms_key_from_cmdline(buf, n - 1, &c);
                assert_true(a.program_hash == c.program_hash);
                assert_true(a.job_hash == c.job_hash);
        }
}

#define CHECK_CMDLINE(...) check_cmdline_equals_argv(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static void cmdline_equals_argv(void **state)
{
        CHECK_CMDLINE("gcc");
        CHECK_CMDLINE("gcc", "-O2", "-c", "foo.c", "-o", "foo.o");
        CHECK_CMDLINE("/usr/lib/gcc/x86_64-linux-gnu/12/cc1", "-quiet", "foo.c", "-o", "/tmp/ccAb3dEf.s");
        CHECK_CMDLINE("as", "--64", "-o", "/tmp/ccK1lmNo.o", "/tmp/ccAb3dEf.s");
        CHECK_CMDLINE(COLLECT2_ARGS("/tmp/ccR3sTuv.res", "/tmp/ccK1lmNo.o"));
        CHECK_CMDLINE("prog", "", "a", "", "");
        CHECK_CMDLINE("prog", "-o");
        CHECK_CMDLINE("/usr/bin/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "y");
        CHECK_CMDLINE("");
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(fnv1a_vectors),
                T(program_is_base_name),
                T(shell_wrapper_program_is_the_command),
                T(program_cut_to_fit),
                T(empty_argv),
                T(argument_boundaries_count),
                T(volatile_arguments),
                T(gcc_cc1_runs),
                T(gxx_cc1plus_random_seed),
                T(as_runs),
                T(collect2_and_ld_runs),
                T(rustc_runs),
                T(clang_cc1_runs),
                T(trailing_value_option),
                T(cmdline_equals_argv),
        };

        return cmocka_run_group_tests_name("key", tests, NULL, NULL);
}
