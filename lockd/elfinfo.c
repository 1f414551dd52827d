/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockd/elfinfo.h"
#include "util/fileio.h"
#include "util/macro.h"

#if __BYTE_ORDER == __LITTLE_ENDIAN
#define HOST_DATA ELFDATA2LSB
#else
#define HOST_DATA ELFDATA2MSB
#endif

#define MAX_PHNUM 256
#define MAX_DYN_BYTES (64u * 1024)
#define MAX_STRING 4096

struct phdr {
        uint32_t type;
        uint64_t offset, vaddr, filesz;
};

struct reader {
        lockd_elf_read_fn read;
        void *userdata;
        uint64_t size;
};

static int read_exact(const struct reader *rd, void *buf, size_t len, uint64_t off)
{
        long n;

        if (off > rd->size || len > rd->size - off)
                return -EINVAL;
        n = rd->read(buf, len, off, rd->userdata);
        if (n < 0)
                return (int)n;
        return (size_t)n == len ? 0 : -EINVAL;
}

/* A NUL-terminated string at off, at most MAX_STRING bytes. */
static int read_string(const struct reader *rd, uint64_t off, char **out)
{
        size_t len = MAX_STRING;
        char *buf, *nul;
        long n;

        if (off >= rd->size)
                return -EINVAL;
        if (rd->size - off < len)
                len = (size_t)(rd->size - off);
        buf = malloc(len + 1);
        if (!buf)
                return -ENOMEM;
        n = rd->read(buf, len, off, rd->userdata);
        if (n < 0) {
                free(buf);
                return (int)n;
        }
        nul = memchr(buf, '\0', (size_t)n);
        if (!nul) {
                free(buf);
                return -EINVAL;
        }
        *out = realloc(buf, (size_t)(nul - buf) + 1) ?: buf;
        return 0;
}

static int vaddr_to_offset(const struct phdr *ph, unsigned n, uint64_t vaddr, uint64_t *off)
{
        for (unsigned i = 0; i < n; i++) {
                if (ph[i].type != PT_LOAD)
                        continue;
                if (vaddr >= ph[i].vaddr && vaddr - ph[i].vaddr < ph[i].filesz) {
                        *off = ph[i].offset + (vaddr - ph[i].vaddr);
                        return 0;
                }
        }
        return -EINVAL;
}

static int read_phdrs(const struct reader *rd, unsigned char cls, uint64_t phoff, unsigned phnum,
                      unsigned phentsize, struct phdr *out)
{
        size_t want = cls == ELFCLASS64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
        _cleanup_free_ unsigned char *buf = NULL;
        int r;

        if (phnum == 0)
                return 0;
        if (phentsize != want || phnum > MAX_PHNUM)
                return -EINVAL;
        buf = malloc((size_t)phnum * want);
        if (!buf)
                return -ENOMEM;
        r = read_exact(rd, buf, (size_t)phnum * want, phoff);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < phnum; i++) {
                if (cls == ELFCLASS64) {
                        Elf64_Phdr p;
                        memcpy(&p, buf + i * want, sizeof(p));
                        out[i] = (struct phdr){ p.p_type, p.p_offset, p.p_vaddr, p.p_filesz };
                } else {
                        Elf32_Phdr p;
                        memcpy(&p, buf + i * want, sizeof(p));
                        out[i] = (struct phdr){ p.p_type, p.p_offset, p.p_vaddr, p.p_filesz };
                }
        }
        return 0;
}

static int parse_dynamic(const struct reader *rd, unsigned char cls, const struct phdr *ph, unsigned phnum,
                         const struct phdr *dyn, struct lockd_elf *e)
{
        size_t entsize = cls == ELFCLASS64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn);
        _cleanup_free_ unsigned char *buf = NULL;
        _cleanup_free_ uint64_t *needed = NULL;
        uint64_t strtab = 0, rpath = UINT64_MAX, runpath = UINT64_MAX, stroff;
        size_t n, nneeded = 0;
        bool has_strtab = false;
        int r;

        n = (size_t)(dyn->filesz < MAX_DYN_BYTES ? dyn->filesz : MAX_DYN_BYTES) / entsize;
        if (n == 0)
                return 0;
        buf = malloc(n * entsize);
        needed = calloc(LOCKD_ELF_MAX_NEEDED, sizeof(uint64_t));
        if (!buf || !needed)
                return -ENOMEM;
        r = read_exact(rd, buf, n * entsize, dyn->offset);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                int64_t tag;
                uint64_t val;

                if (cls == ELFCLASS64) {
                        Elf64_Dyn d;
                        memcpy(&d, buf + i * entsize, sizeof(d));
                        tag = d.d_tag;
                        val = d.d_un.d_val;
                } else {
                        Elf32_Dyn d;
                        memcpy(&d, buf + i * entsize, sizeof(d));
                        tag = d.d_tag;
                        val = d.d_un.d_val;
                }
                if (tag == DT_NULL)
                        break;
                switch (tag) {
                case DT_NEEDED:
                        if (nneeded == LOCKD_ELF_MAX_NEEDED)
                                return -EINVAL;
                        needed[nneeded++] = val;
                        break;
                case DT_STRTAB:
                        strtab = val;
                        has_strtab = true;
                        break;
                case DT_RPATH:
                        rpath = val;
                        break;
                case DT_RUNPATH:
                        runpath = val;
                        break;
                default:
                        break;
                }
        }
        if (nneeded == 0 && rpath == UINT64_MAX && runpath == UINT64_MAX)
                return 0;
        if (!has_strtab || vaddr_to_offset(ph, phnum, strtab, &stroff) < 0)
                return -EINVAL;
        e->needed = calloc(nneeded ? nneeded : 1, sizeof(char *));
        if (!e->needed)
                return -ENOMEM;
        for (size_t i = 0; i < nneeded; i++) {
                r = read_string(rd, stroff + needed[i], &e->needed[i]);
                if (r < 0)
                        return r;
                e->nneeded++;
        }
        if (rpath != UINT64_MAX && (r = read_string(rd, stroff + rpath, &e->rpath)) < 0)
                return r;
        if (runpath != UINT64_MAX && (r = read_string(rd, stroff + runpath, &e->runpath)) < 0)
                return r;
        return 0;
}

int lockd_elf_parse(lockd_elf_read_fn read, void *userdata, uint64_t file_size, struct lockd_elf *out)
{
        struct reader rd = { read, userdata, file_size };
        unsigned char ident[EI_NIDENT];
        _cleanup_free_ struct phdr *ph = NULL;
        struct lockd_elf e = {};
        uint64_t phoff;
        unsigned phnum, phentsize;
        int r;

        if (file_size < sizeof(Elf32_Ehdr))
                return -ENOEXEC;
        r = read_exact(&rd, ident, sizeof(ident), 0);
        if (r < 0)
                return r;
        if (memcmp(ident, ELFMAG, SELFMAG) != 0 || ident[EI_DATA] != HOST_DATA ||
            (ident[EI_CLASS] != ELFCLASS32 && ident[EI_CLASS] != ELFCLASS64))
                return -ENOEXEC;
        e.elf_class = ident[EI_CLASS];
        if (e.elf_class == ELFCLASS64) {
                Elf64_Ehdr h;
                r = read_exact(&rd, &h, sizeof(h), 0);
                if (r < 0)
                        return r == -EINVAL ? -ENOEXEC : r;
                e.machine = h.e_machine;
                e.type = h.e_type;
                phoff = h.e_phoff;
                phnum = h.e_phnum;
                phentsize = h.e_phentsize;
        } else {
                Elf32_Ehdr h;
                r = read_exact(&rd, &h, sizeof(h), 0);
                if (r < 0)
                        return r;
                e.machine = h.e_machine;
                e.type = h.e_type;
                phoff = h.e_phoff;
                phnum = h.e_phnum;
                phentsize = h.e_phentsize;
        }
        ph = calloc(phnum ? phnum : 1, sizeof(*ph));
        if (!ph)
                return -ENOMEM;
        r = read_phdrs(&rd, e.elf_class, phoff, phnum, phentsize, ph);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < phnum; i++) {
                if (ph[i].type != PT_LOAD || ph[i].filesz == 0)
                        continue;
                if (ph[i].offset > file_size || ph[i].filesz > file_size - ph[i].offset)
                        return -EINVAL;
                if (e.nload == LOCKD_ELF_MAX_LOAD)
                        return -EINVAL;
                e.load[e.nload++] = (struct lockd_range){ ph[i].offset, ph[i].filesz };
        }
        for (unsigned i = 0; i < phnum; i++) {
                if (ph[i].type == PT_INTERP && !e.interp) {
                        r = read_string(&rd, ph[i].offset, &e.interp);
                        if (r < 0)
                                goto fail;
                } else if (ph[i].type == PT_DYNAMIC && !e.needed) {
                        r = parse_dynamic(&rd, e.elf_class, ph, phnum, &ph[i], &e);
                        if (r < 0)
                                goto fail;
                }
        }
        *out = e;
        return 0;
fail:
        lockd_elf_free(&e);
        return r;
}

static long read_fd(void *buf, size_t len, uint64_t off, void *userdata)
{
        return ms_pread_full(*(int *)userdata, buf, len, off);
}

int lockd_elf_parse_fd(int fd, uint64_t file_size, struct lockd_elf *out)
{
        return lockd_elf_parse(read_fd, &fd, file_size, out);
}

struct mem {
        const unsigned char *data;
        size_t size;
};

static long read_mem(void *buf, size_t len, uint64_t off, void *userdata)
{
        const struct mem *m = userdata;

        if (off >= m->size)
                return 0;
        if (len > m->size - off)
                len = (size_t)(m->size - off);
        memcpy(buf, m->data + off, len);
        return (long)len;
}

int lockd_elf_parse_mem(const void *data, size_t size, struct lockd_elf *out)
{
        struct mem m = { data, size };

        return lockd_elf_parse(read_mem, &m, size, out);
}

void lockd_elf_free(struct lockd_elf *e)
{
        for (size_t i = 0; i < e->nneeded; i++)
                free(e->needed[i]);
        free(e->needed);
        free(e->interp);
        free(e->rpath);
        free(e->runpath);
        *e = (struct lockd_elf){};
}

static int range_cmp(const void *a, const void *b)
{
        const struct lockd_range *x = a, *y = b;

        return x->offset < y->offset ? -1 : x->offset > y->offset;
}

unsigned lockd_elf_segments(const struct lockd_elf *e, uint64_t file_size, uint64_t page,
                            struct lockd_range *out, unsigned max)
{
        struct lockd_range r[LOCKD_ELF_MAX_LOAD];
        uint64_t limit = (file_size + page - 1) / page * page;
        unsigned n = 0, m = 0;

        for (unsigned i = 0; i < e->nload; i++) {
                uint64_t start = e->load[i].offset / page * page;
                uint64_t end = (e->load[i].offset + e->load[i].length + page - 1) / page * page;

                if (end > limit)
                        end = limit;
                if (start < end)
                        r[n++] = (struct lockd_range){ start, end - start };
        }
        qsort(r, n, sizeof(r[0]), range_cmp);
        for (unsigned i = 0; i < n; i++) {
                if (m > 0 && r[i].offset <= out[m - 1].offset + out[m - 1].length) {
                        uint64_t end = r[i].offset + r[i].length;
                        if (end > out[m - 1].offset + out[m - 1].length)
                                out[m - 1].length = end - out[m - 1].offset;
                } else {
                        if (m == max)
                                break;
                        out[m++] = r[i];
                }
        }
        return m;
}

bool lockd_elf_compatible(const struct lockd_elf *a, const struct lockd_elf *b)
{
        return a->elf_class == b->elf_class && a->machine == b->machine;
}
