/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lockd/match.h"
#include "lockd/procscan.h"
#include "util/fileio.h"
#include "tmptree.h"

struct ctx {
        struct lockd_list programs;
        char files[32][128];
        unsigned nfiles;
        unsigned uses[32];
        int refs[32];
        uid_t uid[32];
        struct lockd_ident ident[32];
        unsigned file_calls;
};

static bool match(const char *name, void *userdata)
{
        struct ctx *c = userdata;

        return lockd_patterns_match(&c->programs, name) >= 0;
}

static long file(const char *path, const struct lockd_ident *ident, uid_t uid, void *userdata)
{
        struct ctx *c = userdata;
        unsigned i;

        c->file_calls++;
        if (strncmp(path, "/usr/", 5) != 0)
                return -1;
        for (i = 0; i < c->nfiles; i++)
                if (strcmp(c->files[i], path) == 0)
                        break;
        if (i == c->nfiles)
                snprintf(c->files[c->nfiles++], sizeof(c->files[0]), "%s", path);
        c->refs[i]++;
        c->uid[i] = uid;
        c->ident[i] = *ident;
        return i;
}

static void release(uint32_t id, void *userdata)
{
        struct ctx *c = userdata;

        assert_true(c->refs[id] > 0);
        c->refs[id]--;
}

static void use(uint32_t id, void *userdata)
{
        struct ctx *c = userdata;

        c->uses[id]++;
}

static const struct lockd_scan_ops ops = { match, file, use, release };

static void fake_proc(const char *root, int pid, const char *comm, uint64_t start, const char *maps)
{
        char rel[64], text[512];

        snprintf(rel, sizeof(rel), "proc/%d/stat", pid);
        snprintf(text, sizeof(text), "%d (%s) S 1 %d %d 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 %llu 0 0\n", pid, comm,
                 pid, pid, (unsigned long long)start);
        tree_write(root, rel, text);
        if (maps) {
                snprintf(rel, sizeof(rel), "proc/%d/maps", pid);
                tree_write(root, rel, maps);
        }
}

static const char cc1_maps[] =
        "400000-500000 r--p 00000000 fe:00 10 /usr/lib/gcc/x/12/cc1\n"
        "500000-900000 r-xp 00100000 fe:00 10 /usr/lib/gcc/x/12/cc1\n"
        "900000-a00000 rw-p 00000000 00:00 0 [heap]\n"
        "7f0000-7f1000 r-xp 00000000 fe:00 11 /usr/lib/libc.so.6\n"
        "7f1000-7f2000 r--p 00000000 fe:00 12 /usr/lib/locale/C.utf8/LC_CTYPE\n"
        "7f2000-7f3000 r-xp 00000000 fe:00 13 /usr/lib/old.so (deleted)\n"
        "7f3000-7f4000 r-xp 00000000 fe:00 14 /home/u/libmine.so\n"
        "7ff000-7ff100 r-xp 00000000 00:00 0 [vdso]\n";

/* bash exec's make: pid 200 is a new process (a new /proc inode). */
static void scan_new_process(const char *root, struct lockd_scanner *s, struct ctx *c)
{
        /* bash exec's make: pid 200 is not young any more and not matched, so it is
         * only seen again if its /proc inode changes (a new process). Make pid 200 a
         * new process: a new directory (new inode), another start time. */
        tree_rename(root, "proc/200", "proc/old200");
        fake_proc(root, 200, "make", 7000, "400000-500000 r-xp 00000000 fe:00 20 /usr/bin/make\n");
        {
                char cmd[512];
                snprintf(cmd, sizeof(cmd), "rm -rf %s", tree_path(root, "proc/old200"));
                assert_int_equal(system(cmd), 0);
        }
        assert_int_equal(lockd_scan(s), 0);
        assert_int_equal(s->last.matched, 2);
        assert_int_equal(c->nfiles, 3);
        assert_string_equal(c->files[2], "/usr/bin/make");
}

/* An exec in a matched process, a vanished one, and the caller renumbering its files. */
static void scan_exec_and_renumber(const char *root, struct lockd_scanner *s, struct ctx *c)
{
        /* An exec in a matched process (comm changes) re-reads its maps. */
        fake_proc(root, 200, "cc1", 7000, "400000-500000 r-xp 00000000 fe:00 30 /usr/bin/cc1new\n");
        assert_int_equal(lockd_scan(s), 0);
        assert_int_equal(s->last.maps_reads, 1);
        assert_string_equal(c->files[3], "/usr/bin/cc1new");
        assert_int_equal(c->refs[2], 0); /* make's image is gone */
        assert_int_equal(c->refs[3], 1);
        /* The caller renumbers its files: the next uses follow. */
        {
                uint32_t map[4] = { UINT32_MAX, UINT32_MAX, UINT32_MAX, 0 };
                lockd_scanner_remap(s, map);
                c->refs[0] = c->refs[3];
                c->refs[3] = 0;
                unsigned before = c->uses[0];
                assert_int_equal(lockd_scan(s), 0);
                assert_int_equal(c->uses[0], before + 1);
        }

        /* A process that vanishes between the listing and the read is not an error. */
        tree_mkdir(root, "proc/400");
        assert_int_equal(lockd_scan(s), 0);
        assert_int_equal(s->last.errors, 0);
        assert_int_equal(s->last.vanished, 1);
}

static void test_scan(void **state)
{
        char *root = tree_make();
        struct ctx c = {};
        struct lockd_scanner s;
        const char *bad;

        assert_int_equal(lockd_patterns_parse("cc1, make", false, &c.programs, &bad), 0);
        fake_proc(root, 100, "cc1", 5000, cc1_maps);
        assert_int_equal(chown(tree_path(root, "proc/100"), 1234, 1234), 0);
        fake_proc(root, 200, "bash", 6000, NULL); /* not matched: its maps are never read */
        fake_proc(root, 300, "kworker/0:1", 10, NULL);
        tree_mkdir(root, "proc/self");
        tree_write(root, "proc/meminfo", "x");
        assert_int_equal(lockd_scanner_init(&s, tree_fd(root), &ops, &c), 0);

        assert_int_equal(lockd_scan(&s), 0);
        assert_int_equal(s.last.processes, 3);
        assert_int_equal(s.last.matched, 1);
        assert_int_equal(s.last.maps_reads, 1);
        assert_int_equal(s.last.errors, 0);
        /* Executable mappings of files only: not the locale data, not the deleted
         * file, not [vdso]; /home was refused by the callback. */
        assert_int_equal(c.nfiles, 2);
        assert_string_equal(c.files[0], "/usr/lib/gcc/x/12/cc1");
        assert_string_equal(c.files[1], "/usr/lib/libc.so.6");
        assert_int_equal(c.file_calls, 3);
        assert_int_equal(c.uses[0], 1);
        assert_int_equal(c.uses[1], 1);
        /* With the maps line's device and inode, and the process's user;
         * one reference per process, however many mappings. */
        assert_int_equal(c.ident[0].major, 0xfe);
        assert_true(c.ident[0].ino == 10 && c.ident[1].ino == 11);
        assert_int_equal(c.uid[0], 1234);
        assert_int_equal(c.refs[0], 1);
        assert_int_equal(c.refs[1], 1);

        /* Second scan: young processes are looked at again (cc1 may have dlopen'ed),
         * the files are used again. */
        assert_int_equal(lockd_scan(&s), 0);
        assert_int_equal(c.uses[0], 2);
        /* Third scan: nothing new; only the matched process's stat is read. */
        assert_int_equal(lockd_scan(&s), 0);
        assert_int_equal(s.last.stat_reads, 1);
        assert_int_equal(s.last.maps_reads, 0);
        assert_int_equal(c.uses[0], 3);

        scan_new_process(root, &s, &c);

        /* cc1 exits: its files are no longer used. */
        {
                char cmd[512];
                snprintf(cmd, sizeof(cmd), "rm -rf %s", tree_path(root, "proc/100"));
                assert_int_equal(system(cmd), 0);
        }
        unsigned before = c.uses[0];
        assert_int_equal(lockd_scan(&s), 0);
        assert_int_equal(c.uses[0], before);
        assert_int_equal(s.last.matched, 1);
        /* Its references are released. */
        assert_int_equal(c.refs[0], 0);
        assert_int_equal(c.refs[1], 0);
        assert_int_equal(c.refs[2], 1);

        scan_exec_and_renumber(root, &s, &c);
        lockd_scanner_reset(&s);
        assert_int_equal(c.refs[0], 0);
        assert_int_equal(lockd_scan(&s), 0);
        assert_int_equal(s.last.maps_reads, 1);
        lockd_scanner_free(&s);
        for (unsigned i = 0; i < c.nfiles; i++)
                assert_int_equal(c.refs[i], 0);
        lockd_list_free(&c.programs);
        tree_remove(root);
}

static void test_scan_real_proc(void **state)
{
        struct ctx c = {};
        struct lockd_scanner s;
        const char *bad;

        /* The test itself is never matched: the scanner skips its own process. */
        assert_int_equal(lockd_patterns_parse("test-lockd-scan, nothing-else", false, &c.programs, &bad), 0);
        assert_int_equal(lockd_scanner_init(&s, MS_ROOT_HOST, &ops, &c), 0);
        assert_int_equal(lockd_scan(&s), 0);
        assert_true(s.last.processes > 1);
        assert_int_equal(s.last.matched, 0);
        assert_int_equal(s.last.errors, 0);
        lockd_scanner_free(&s);
        lockd_list_free(&c.programs);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_scan),
                cmocka_unit_test(test_scan_real_proc),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
