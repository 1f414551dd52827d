/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdbool.h>

#include "gate/key.h"
#include "util/macro.h"
#include "util/strutil.h"

#define FNV1A_PRIME UINT64_C(0x100000001b3)

MS_HOT uint64_t ms_fnv1a(const void *data, size_t len, uint64_t seed)
{
        const unsigned char *p = data;
        uint64_t h = seed;

        for (size_t i = 0; i < len; i++) {
                h ^= p[i];
                h *= FNV1A_PRIME;
        }
        return h;
}

/* Arguments as (pointer, length): cmdline strings need not end in NUL. */
struct arg {
        const char *s;
        size_t n;
};

static MS_HOT bool arg_startswith(struct arg a, const char *prefix, struct arg *rest)
{
        size_t i = 0;

        for (; prefix[i]; i++)
                if (i >= a.n || a.s[i] != prefix[i])
                        return false;
        if (rest)
                *rest = (struct arg){ a.s + i, a.n - i };
        return true;
}

static MS_HOT bool arg_eq(struct arg a, const char *s)
{
        struct arg rest;

        return arg_startswith(a, s, &rest) && rest.n == 0;
}

static MS_HOT bool is_alnum(char c)
{
        return ms_isdigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The file name extensions of sources: never temporary, wherever they are. */
static MS_HOT bool is_source(struct arg a)
{
        static const char *const exts[] = {
                "c", "cc", "cp", "cpp", "cxx", "c++", "C", "CPP", "m", "mm", "M", "S", "sx",
                "h", "hh", "hpp", "hxx", "H", "rs", "go", "f", "F", "for", "ftn", "f90", "F90",
                "f95", "F95", "f03", "f08", "adb", "ads",
        };
        size_t dot = a.n;
        struct arg ext;

        for (size_t i = a.n; i > 0; i--) {
                if (a.s[i - 1] == '/')
                        return false;
                if (a.s[i - 1] == '.') {
                        dot = i - 1;
                        break;
                }
        }
        if (dot == a.n || dot == 0 || a.s[dot - 1] == '/')
                return false;
        ext = (struct arg){ a.s + dot + 1, a.n - dot - 1 };
        for (size_t i = 0; i < MS_ARRAY_SIZE(exts); i++)
                if (arg_eq(ext, exts[i]))
                        return true;
        return false;
}

/*
 * One path component made by mkstemp() and friends: prefix, then a run of
 * random characters with at least one digit or capital (so that "ccompile.c"
 * or "tmpl_engine" are not taken), then the end or an extension.
 */
static MS_HOT bool component_is_mktemp(struct arg c)
{
        static const struct {
                const char *prefix;
                size_t min, max;
                bool underscore;
        } pat[] = {
                { "cc", 6, 6, false },     /* GCC: ccXXXXXX.s, .o, .res, .ld, .ltrans0.o */
                { "tmp.", 6, 64, false },  /* mktemp(1): tmp.XXXXXXXXXX */
                { "tmp", 6, 64, true },    /* mkstemp("tmpXXXXXX"), Python's tempfile */
                { "rustc", 6, 6, false },  /* rustc's temporary directory */
        };
        struct arg rest;

        for (size_t i = 0; i < MS_ARRAY_SIZE(pat); i++) {
                size_t n = 0;
                bool mixed = false;

                if (!arg_startswith(c, pat[i].prefix, &rest))
                        continue;
                for (; n < rest.n; n++) {
                        char ch = rest.s[n];
                        if (!is_alnum(ch) && !(pat[i].underscore && ch == '_'))
                                break;
                        if (ms_isdigit(ch) || (ch >= 'A' && ch <= 'Z'))
                                mixed = true;
                }
                if (n >= pat[i].min && n <= pat[i].max && mixed && (n == rest.n || rest.s[n] == '.'))
                        return true;
        }
        return false;
}

/* A path that names a temporary file (see key.h). */
static MS_HOT bool is_temp_path(struct arg a)
{
        static const char *const prefixes[] = { "/tmp/", "/var/tmp/", "/dev/shm/" };
        size_t start = 0;

        if (a.n == 0 || is_source(a))
                return false;
        for (size_t i = 0; i < MS_ARRAY_SIZE(prefixes); i++)
                if (arg_startswith(a, prefixes[i], NULL))
                        return true;
        for (size_t i = 0; i <= a.n; i++) {
                if (i < a.n && a.s[i] != '/')
                        continue;
                if (i > start && component_is_mktemp((struct arg){ a.s + start, i - start }))
                        return true;
                start = i + 1;
        }
        return false;
}

/* Options followed by a value that may be a temporary name: "-o" "X" or "-oX". */
static const char *const value_options[] = {
        "-o", "--output", "-MF", "-MQ", "-MT", "-MD", "-MMD", "-dumpbase", "-dumpdir",
        "-auxbase", "-auxbase-strip", "-I", "-L", "-B", "-isystem", "-include",
};

/* The text after the last c in a, if any. */
static MS_HOT bool after_last(struct arg a, char c, struct arg *rest)
{
        for (size_t i = a.n; i > 0; i--)
                if (a.s[i - 1] == c) {
                        *rest = (struct arg){ a.s + i, a.n - i };
                        return true;
                }
        return false;
}

static MS_HOT bool arg_is_volatile(struct arg a)
{
        struct arg v;

        if (arg_startswith(a, "-frandom-seed", NULL))
                return true;
        /* A response file: "@/tmp/ccAbC123". */
        if (a.n > 0 && a.s[0] == '@')
                a = (struct arg){ a.s + 1, a.n - 1 };
        if (is_temp_path(a))
                return true;
        if (a.n == 0 || a.s[0] != '-')
                return false;
        /* --output=X, -plugin-opt=-fresolution=X, -Wl,-Map,X. */
        if (after_last(a, '=', &v) && is_temp_path(v))
                return true;
        if (after_last(a, ',', &v) && is_temp_path(v))
                return true;
        for (size_t i = 0; i < MS_ARRAY_SIZE(value_options); i++)
                if (arg_startswith(a, value_options[i], &v) && is_temp_path(v))
                        return true;
        return false;
}

int ms_key_arg_is_volatile(const char *arg)
{
        return arg_is_volatile((struct arg){ arg, ms_strlen(arg) });
}

/* The arguments of argv or of a cmdline, one after the other. */
struct args {
        int argc;
        char *const *argv;
        const char *cmdline;
        size_t len, pos;
};

static MS_HOT bool args_next(struct args *it, struct arg *a)
{
        if (it->argv) {
                if (it->pos >= (size_t)it->argc)
                        return false;
                a->s = it->argv[it->pos++];
                a->n = a->s ? ms_strlen(a->s) : 0;
                if (!a->s)
                        a->s = "";
                return true;
        }
        if (it->pos >= it->len)
                return false;
        a->s = it->cmdline + it->pos;
        a->n = 0;
        while (it->pos + a->n < it->len && a->s[a->n])
                a->n++;
        it->pos += a->n + 1;
        return true;
}

static MS_HOT uint64_t hash_arg(uint64_t h, struct arg a)
{
        static const char zero = 0;

        h = ms_fnv1a(a.s, a.n, h);
        return ms_fnv1a(&zero, 1, h);
}

/*
 * The program a shell wrapper runs: for "sh -c 'g++ -c x.cpp ...'" (ninja
 * runs every command so, make those with shell syntax), the base name of the
 * command's first word, so that the program's typical peak is g++'s, not a
 * mix of every recipe's. Only a plain first word counts (no '=', quote or
 * expansion); else the shell's own name stays.
 */
static MS_HOT void wrapped_program(const struct args *it, struct arg *base)
{
        struct args peek = *it;
        struct arg c, cmd, word;
        size_t i = 0, n = 0;

        if (!(arg_eq(*base, "sh") || arg_eq(*base, "bash") || arg_eq(*base, "dash")))
                return;
        if (!args_next(&peek, &c) || !arg_eq(c, "-c") || !args_next(&peek, &cmd))
                return;
        while (i < cmd.n && (cmd.s[i] == ' ' || cmd.s[i] == '\t'))
                i++;
        while (i + n < cmd.n && cmd.s[i + n] != ' ' && cmd.s[i + n] != '\t' && cmd.s[i + n] != '\n') {
                char ch = cmd.s[i + n];
                if (ch == '=' || ch == '\'' || ch == '"' || ch == '$' || ch == '`' || ch == ';' || ch == '&' ||
                    ch == '|' || ch == '(' || ch == '<' || ch == '>' || ch == '\\')
                        return;
                n++;
        }
        if (n == 0)
                return;
        word = (struct arg){ cmd.s + i, n };
        *base = word;
        (void)after_last(word, '/', base);
        if (base->n == 0)
                *base = word;
}

static MS_HOT void key_from_args(struct args *it, struct ms_key *key)
{
        struct arg a = { "", 0 }, base, prog;
        size_t n = 0;

        (void)args_next(it, &a);
        base = a;
        (void)after_last(a, '/', &base);
        prog = base;
        wrapped_program(it, &prog);
        for (; n < prog.n && n < MS_PROGRAM_MAX - 1; n++)
                key->program[n] = prog.s[n];
        key->program[n] = '\0';
        key->program_hash = ms_fnv1a(prog.s, prog.n, MS_FNV1A_SEED);
        key->job_hash = hash_arg(MS_FNV1A_SEED, base);

        while (args_next(it, &a)) {
                if (arg_is_volatile(a))
                        continue;
                for (size_t i = 0; i < MS_ARRAY_SIZE(value_options); i++) {
                        struct args peek = *it;
                        struct arg v;
                        if (!arg_eq(a, value_options[i]))
                                continue;
                        /* "-o" "/tmp/ccAbC123.s": both go. */
                        if (args_next(&peek, &v) && arg_is_volatile(v)) {
                                *it = peek;
                                goto next;
                        }
                        break;
                }
                key->job_hash = hash_arg(key->job_hash, a);
        next:;
        }
}

MS_HOT void ms_key_from_argv(int argc, char *const *argv, struct ms_key *key)
{
        static char *const none[] = { NULL };
        struct args it = { .argc = argc > 0 && argv ? argc : 0, .argv = argv ? argv : none };

        key_from_args(&it, key);
}

MS_HOT void ms_key_from_cmdline(const char *cmdline, size_t len, struct ms_key *key)
{
        struct args it = { .cmdline = cmdline ? cmdline : "", .len = cmdline ? len : 0 };

        key_from_args(&it, key);
}
