#include "elfobj.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- sections and their digests ------------------------------------------------ */

json_t *elfobj_sections(const void *buf, size_t len, char placement[SHA256_HEX_LEN + 1])
{
	elf_version(EV_CURRENT);
	Elf *e = elf_memory((char *)buf, len);
	if (!e)
		return NULL;
	size_t shstrndx;
	json_t *secs = NULL;
	if (elf_kind(e) != ELF_K_ELF || elf_getshdrstrndx(e, &shstrndx) != 0)
		goto out;
	secs = json_array();
	struct sha256_ctx lc;
	sha256_init(&lc);
	for (Elf_Scn *scn = elf_nextscn(e, NULL); scn; scn = elf_nextscn(e, scn)) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		const char *name = elf_strptr(e, shstrndx, sh.sh_name);
		if (!name)
			name = "";
		json_t *s = json_object();
		json_object_set_new(s, "name", json_bytes(name));
		json_object_set_new(s, "type", json_integer(sh.sh_type));
		json_object_set_new(s, "flags", json_integer((json_int_t)sh.sh_flags));
		json_object_set_new(s, "addr", json_integer((json_int_t)sh.sh_addr));
		json_object_set_new(s, "size", json_integer((json_int_t)sh.sh_size));
		json_object_set_new(s, "align", json_integer((json_int_t)sh.sh_addralign));
		if (sh.sh_type != SHT_NOBITS && sh.sh_offset <= len && sh.sh_size <= len - sh.sh_offset) {
			char hex[SHA256_HEX_LEN + 1];
			sha256_hex((const char *)buf + sh.sh_offset, sh.sh_size, hex);
			json_object_set_new(s, "sha256", json_string(hex));
		}
		json_array_append_new(secs, s);
		char line[4400];
		int n = snprintf(line, sizeof(line), "%s\t%u\t%llu\t%llu\t%llu\t%llu\n", name, sh.sh_type,
				 (unsigned long long)sh.sh_flags, (unsigned long long)sh.sh_addr,
				 (unsigned long long)sh.sh_size, (unsigned long long)sh.sh_addralign);
		if (n > 0)
			sha256_update(&lc, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1, (const uint8_t *)line);
	}
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_digest(&lc, sizeof(d), d);
	digest_hex(d, sizeof(d), placement);
out:
	elf_end(e);
	return secs;
}

void elfobj_layout_digest(const json_t *secs, char out[SHA256_HEX_LEN + 1])
{
	struct sha256_ctx c;
	sha256_init(&c);
	size_t i;
	const json_t *sec;
	json_array_foreach(secs, i, sec) {
		const json_t *sha = json_object_get(sec, "sha256");
		char *line = xasprintf("%s\t%lld\t%lld\t%lld\t%lld\t%lld\t%s\n",
				       json_string_value(json_object_get(sec, "name")),
				       (long long)json_integer_value(json_object_get(sec, "type")),
				       (long long)json_integer_value(json_object_get(sec, "flags")),
				       (long long)json_integer_value(json_object_get(sec, "addr")),
				       (long long)json_integer_value(json_object_get(sec, "size")),
				       (long long)json_integer_value(json_object_get(sec, "align")),
				       sha ? json_string_value(sha) : "-");
		sha256_update(&c, strlen(line), (const uint8_t *)line);
		free(line);
	}
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_digest(&c, sizeof(d), d);
	digest_hex(d, sizeof(d), out);
}

/* ---- padding objects -------------------------------------------------------------- */

static const char *const pad_kinds[4] = { ".text", ".data", ".rodata", ".bss" };

static size_t add_name(char *tab, size_t *len, const char *name)
{
	size_t at = *len;
	memcpy(tab + at, name, strlen(name) + 1);
	*len += strlen(name) + 1;
	return at;
}

static Elf_Scn *new_section(Elf *e, size_t name, GElf_Word type, GElf_Xword flags, GElf_Xword align,
			    void *buf, size_t size, Elf_Type dtype)
{
	Elf_Scn *scn = elf_newscn(e);
	Elf_Data *d = scn ? elf_newdata(scn) : NULL;
	GElf_Shdr sh;
	if (!d || !gelf_getshdr(scn, &sh))
		return NULL;
	d->d_buf = buf;
	d->d_size = size;
	d->d_type = dtype;
	d->d_align = align;
	d->d_version = EV_CURRENT;
	sh.sh_name = (GElf_Word)name;
	sh.sh_type = type;
	sh.sh_flags = flags;
	sh.sh_addralign = align;
	sh.sh_size = size;
	return gelf_update_shdr(scn, &sh) ? scn : NULL;
}

/* The header of like, or -1 with a message. */
static int shape_of(const char *like, GElf_Ehdr *lh, int *cls)
{
	elf_version(EV_CURRENT);
	int lfd = open(like, O_RDONLY | O_CLOEXEC);
	Elf *le = lfd >= 0 ? elf_begin(lfd, ELF_C_READ, NULL) : NULL;
	*cls = le ? gelf_getclass(le) : ELFCLASSNONE;
	int ok = le && elf_kind(le) == ELF_K_ELF && gelf_getehdr(le, lh) && *cls != ELFCLASSNONE;
	if (le)
		elf_end(le);
	if (lfd >= 0)
		close(lfd);
	return ok ? 0 : error("layout: '%s' is not an ELF object to shape padding objects after", like);
}

int elfobj_write_pad(const char *path, const char *like, const size_t sizes[4], const char *suffix)
{
	GElf_Ehdr lh;
	int cls;
	if (shape_of(like, &lh, &cls) < 0)
		return -1;
	if (suffix && strlen(suffix) > 64)
		return error("layout: padding section suffix '%s' is too long", suffix);

	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		error("layout: cannot create '%s': %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	int ok = 0;
	Elf *e = elf_begin(fd, ELF_C_WRITE, NULL);
	GElf_Ehdr eh;
	char shstr[512];
	size_t shlen = 1;
	shstr[0] = '\0';
	static char strtab[1];
	unsigned char *bufs[3] = { NULL, NULL, NULL };
	unsigned char symbuf[sizeof(Elf64_Sym)];
	if (!e || !gelf_newehdr(e, cls) || !gelf_getehdr(e, &eh))
		goto out;
	eh.e_ident[EI_DATA] = lh.e_ident[EI_DATA];
	eh.e_ident[EI_OSABI] = lh.e_ident[EI_OSABI];
	eh.e_ident[EI_ABIVERSION] = lh.e_ident[EI_ABIVERSION];
	eh.e_type = ET_REL;
	eh.e_machine = lh.e_machine;
	eh.e_version = EV_CURRENT;
	eh.e_flags = lh.e_flags;
	if (!gelf_update_ehdr(e, &eh))
		goto out;
	static const GElf_Xword flags[4] = { SHF_ALLOC | SHF_EXECINSTR, SHF_ALLOC | SHF_WRITE, SHF_ALLOC,
					     SHF_ALLOC | SHF_WRITE };
	int x86 = lh.e_machine == EM_X86_64 || lh.e_machine == EM_386;
	for (int s = 0; s < 4; s++) {
		if (!sizes[s])
			continue;
		char sname[96];
		snprintf(sname, sizeof(sname), "%s%s%s", pad_kinds[s], suffix ? "." : "", suffix ? suffix : "");
		size_t name = add_name(shstr, &shlen, sname);
		if (s == 3) {
			if (!new_section(e, name, SHT_NOBITS, flags[s], 8, NULL, sizes[s], ELF_T_BYTE))
				goto out;
			continue;
		}
		bufs[s] = xcalloc(1, sizes[s]);
		if (s == 0 && x86)
			memset(bufs[s], 0xcc, sizes[s]);	/* int3: never meant to run */
		if (!new_section(e, name, SHT_PROGBITS, flags[s], s == 0 ? 16 : 8, bufs[s], sizes[s], ELF_T_BYTE))
			goto out;
	}
	size_t gnustack = add_name(shstr, &shlen, ".note.GNU-stack");
	if (!new_section(e, gnustack, SHT_PROGBITS, 0, 1, NULL, 0, ELF_T_BYTE))
		goto out;
	size_t strtab_name = add_name(shstr, &shlen, ".strtab");
	Elf_Scn *strscn = new_section(e, strtab_name, SHT_STRTAB, 0, 1, strtab, 1, ELF_T_BYTE);
	if (!strscn)
		goto out;
	size_t symtab_name = add_name(shstr, &shlen, ".symtab");
	size_t symsize = gelf_fsize(e, ELF_T_SYM, 1, EV_CURRENT);
	memset(symbuf, 0, sizeof(symbuf));
	Elf_Scn *symscn = new_section(e, symtab_name, SHT_SYMTAB, 0, cls == ELFCLASS64 ? 8 : 4, symbuf, symsize,
				      ELF_T_SYM);
	GElf_Shdr sh;
	if (!symscn || !gelf_getshdr(symscn, &sh))
		goto out;
	sh.sh_link = (GElf_Word)elf_ndxscn(strscn);
	sh.sh_info = 1;		/* one local symbol: the null one */
	sh.sh_entsize = symsize;
	if (!gelf_update_shdr(symscn, &sh))
		goto out;
	size_t shstr_name = add_name(shstr, &shlen, ".shstrtab");
	Elf_Scn *shscn = new_section(e, shstr_name, SHT_STRTAB, 0, 1, shstr, shlen, ELF_T_BYTE);
	if (!shscn || !gelf_getehdr(e, &eh))
		goto out;
	eh.e_shstrndx = (GElf_Half)elf_ndxscn(shscn);
	if (!gelf_update_ehdr(e, &eh))
		goto out;
	if (elf_update(e, ELF_C_WRITE) < 0)
		goto out;
	ok = 1;
out:
	if (!ok)
		error("layout: cannot write the padding object '%s': %s", path, elf_errmsg(-1));
	if (e)
		elf_end(e);
	for (int s = 0; s < 3; s++)
		free(bufs[s]);
	if (close(fd) < 0 && ok) {
		error("layout: cannot write '%s': %s", tmp, strerror(errno));
		ok = 0;
	}
	if (ok && rename(tmp, path) < 0) {
		error("layout: cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
		ok = 0;
	}
	if (!ok)
		unlink(tmp);
	free(tmp);
	return ok ? 0 : -1;
}

/* ---- the same object but for the order of its symbols --------------------------------- */

#ifndef SHT_LLVM_ADDRSIG
#define SHT_LLVM_ADDRSIG 0x6fff4c03
#endif

struct obj {
	const char *path;
	int fd;
	Elf *e;
	size_t shnum, shstrndx;
	Elf_Scn *symscn;
	GElf_Shdr symsh;
	Elf_Data *syms, *xndx;
	size_t nsyms;
};

/* What a symbol is, apart from where it stands in the table. */
struct symkey {
	const char *name;
	GElf_Addr value;
	GElf_Xword size;
	GElf_Word shndx;
	unsigned char info, other;
};

static int obj_open(struct obj *o, const char *path)
{
	memset(o, 0, sizeof(*o));
	o->path = path;
	o->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (o->fd < 0)
		return error("cannot open '%s': %s", path, strerror(errno));
	elf_version(EV_CURRENT);
	o->e = elf_begin(o->fd, ELF_C_READ_MMAP, NULL);
	if (!o->e || elf_kind(o->e) != ELF_K_ELF || elf_getshdrnum(o->e, &o->shnum) != 0 ||
	    elf_getshdrstrndx(o->e, &o->shstrndx) != 0)
		return error("'%s' is not an ELF object: %s", path, elf_errmsg(-1));
	for (Elf_Scn *s = elf_nextscn(o->e, NULL); s; s = elf_nextscn(o->e, s)) {
		GElf_Shdr sh;
		if (!gelf_getshdr(s, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB) {
			o->symscn = s;
			o->symsh = sh;
			o->syms = elf_getdata(s, NULL);
			o->nsyms = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		} else if (sh.sh_type == SHT_SYMTAB_SHNDX) {
			o->xndx = elf_getdata(s, NULL);
		}
	}
	return 0;
}

static void obj_close(struct obj *o)
{
	if (o->e)
		elf_end(o->e);
	if (o->fd >= 0)
		close(o->fd);
}

static void sym_key(const struct obj *o, size_t i, struct symkey *k)
{
	memset(k, 0, sizeof(*k));
	k->name = "";
	GElf_Sym s;
	Elf32_Word x = 0;
	if (!o->syms || i >= o->nsyms || !gelf_getsymshndx(o->syms, o->xndx, (int)i, &s, &x))
		return;
	const char *n = elf_strptr(o->e, o->symsh.sh_link, s.st_name);
	k->name = n ? n : "";
	k->value = s.st_value;
	k->size = s.st_size;
	k->shndx = s.st_shndx == SHN_XINDEX ? x : s.st_shndx;
	k->info = s.st_info;
	k->other = s.st_other;
}

static int symkey_cmp(const void *pa, const void *pb)
{
	const struct symkey *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);
	if (c)
		return c;
#define CMP(f) if (a->f != b->f) return a->f < b->f ? -1 : 1
	CMP(value);
	CMP(size);
	CMP(shndx);
	CMP(info);
	CMP(other);
#undef CMP
	return 0;
}

static int same_sym(const struct obj *a, size_t ia, const struct obj *b, size_t ib)
{
	struct symkey ka, kb;
	sym_key(a, ia, &ka);
	sym_key(b, ib, &kb);
	return symkey_cmp(&ka, &kb) == 0;
}

/* The symbol tables as sets. */
static int same_symbols(const struct obj *a, const struct obj *b, char **why)
{
	if (a->nsyms != b->nsyms) {
		*why = xasprintf("%zu symbols against %zu", a->nsyms, b->nsyms);
		return 0;
	}
	struct symkey *ka = xmalloc((a->nsyms + 1) * sizeof(*ka)), *kb = xmalloc((b->nsyms + 1) * sizeof(*kb));
	for (size_t i = 0; i < a->nsyms; i++) {
		sym_key(a, i, &ka[i]);
		sym_key(b, i, &kb[i]);
	}
	qsort(ka, a->nsyms, sizeof(*ka), symkey_cmp);
	qsort(kb, b->nsyms, sizeof(*kb), symkey_cmp);
	int same = 1;
	for (size_t i = 0; i < a->nsyms && same; i++)
		if (symkey_cmp(&ka[i], &kb[i]) != 0) {
			*why = xasprintf("symbol '%s' differs (value %#llx, size %llu)", ka[i].name,
					 (unsigned long long)ka[i].value, (unsigned long long)ka[i].size);
			same = 0;
		}
	free(ka);
	free(kb);
	return same;
}

static int same_relocs(const struct obj *a, Elf_Data *da, const struct obj *b, Elf_Data *db, int rela,
		       size_t n, const char *name, char **why)
{
	for (size_t i = 0; i < n; i++) {
		GElf_Rela ra, rb;
		int got;
		if (rela) {
			got = gelf_getrela(da, (int)i, &ra) && gelf_getrela(db, (int)i, &rb);
		} else {
			GElf_Rel la, lb;
			got = gelf_getrel(da, (int)i, &la) && gelf_getrel(db, (int)i, &lb);
			ra = (GElf_Rela){ la.r_offset, la.r_info, 0 };
			rb = (GElf_Rela){ lb.r_offset, lb.r_info, 0 };
		}
		if (!got || ra.r_offset != rb.r_offset || ra.r_addend != rb.r_addend ||
		    GELF_R_TYPE(ra.r_info) != GELF_R_TYPE(rb.r_info) ||
		    !same_sym(a, GELF_R_SYM(ra.r_info), b, GELF_R_SYM(rb.r_info))) {
			*why = xasprintf("relocation %zu of '%s' differs", i, name);
			return 0;
		}
	}
	return 1;
}

/* ULEB128 symbol indices (LLVM's address-significance table). */
static int same_addrsig(const struct obj *a, Elf_Data *da, const struct obj *b, Elf_Data *db, char **why)
{
	const unsigned char *pa = da->d_buf, *pb = db->d_buf, *ea = pa + da->d_size, *eb = pb + db->d_size;
	while (pa < ea && pb < eb) {
		uint64_t va = 0, vb = 0;
		for (int sh = 0; pa < ea && sh < 64; sh += 7)
			if (!((va |= (uint64_t)(*pa & 0x7f) << sh), *pa++ & 0x80))
				break;
		for (int sh = 0; pb < eb && sh < 64; sh += 7)
			if (!((vb |= (uint64_t)(*pb & 0x7f) << sh), *pb++ & 0x80))
				break;
		if (!same_sym(a, va, b, vb)) {
			*why = xstrdup("the address-significance tables name different symbols");
			return 0;
		}
	}
	if (pa != ea || pb != eb) {
		*why = xstrdup("the address-significance tables differ in length");
		return 0;
	}
	return 1;
}

static int same_section(const struct obj *a, Elf_Scn *sa, const struct obj *b, Elf_Scn *sb, char **why)
{
	GElf_Shdr ha, hb;
	if (!gelf_getshdr(sa, &ha) || !gelf_getshdr(sb, &hb)) {
		*why = xstrdup("a section header cannot be read");
		return 0;
	}
	const char *na = elf_strptr(a->e, a->shstrndx, ha.sh_name), *nb = elf_strptr(b->e, b->shstrndx, hb.sh_name);
	na = na ? na : "";
	nb = nb ? nb : "";
	size_t idx = elf_ndxscn(sa);
	/* the symbol names' string table: its order follows the symbols'; the names are compared with them */
	int names_of_syms = a->symscn && idx == a->symsh.sh_link;
	if (strcmp(na, nb) || ha.sh_type != hb.sh_type || ha.sh_flags != hb.sh_flags || ha.sh_addr != hb.sh_addr ||
	    (!names_of_syms && ha.sh_size != hb.sh_size) || ha.sh_link != hb.sh_link ||
	    (ha.sh_type != SHT_GROUP && ha.sh_info != hb.sh_info) || ha.sh_addralign != hb.sh_addralign ||
	    ha.sh_entsize != hb.sh_entsize) {
		*why = xasprintf("section %zu: '%s' against '%s' (type, flags, size, links or alignment)", idx, na, nb);
		return 0;
	}
	if (ha.sh_type == SHT_NOBITS || ha.sh_type == SHT_SYMTAB || ha.sh_type == SHT_SYMTAB_SHNDX || names_of_syms)
		return 1;	/* no bytes, or compared as symbols */
	if (ha.sh_type == SHT_GROUP && !same_sym(a, ha.sh_info, b, hb.sh_info)) {
		*why = xasprintf("section %zu: group '%s' has another signature", idx, na);
		return 0;
	}
	if (ha.sh_type == SHT_RELA || ha.sh_type == SHT_REL) {
		Elf_Data *da = elf_getdata(sa, NULL), *db = elf_getdata(sb, NULL);
		size_t n = ha.sh_entsize ? ha.sh_size / ha.sh_entsize : 0;
		if (!da || !db)
			return *why = xasprintf("section %zu: '%s' cannot be read", idx, na), 0;
		return same_relocs(a, da, b, db, ha.sh_type == SHT_RELA, n, na, why);
	}
	Elf_Data *da = elf_rawdata(sa, NULL), *db = elf_rawdata(sb, NULL);
	if (!da || !db || da->d_size != db->d_size) {
		*why = xasprintf("section %zu: '%s' cannot be read", idx, na);
		return 0;
	}
	if (ha.sh_type == SHT_LLVM_ADDRSIG)
		return same_addrsig(a, da, b, db, why);
	if (da->d_size && memcmp(da->d_buf, db->d_buf, da->d_size) != 0) {
		*why = xasprintf("section %zu: the bytes of '%s' differ", idx, na);
		return 0;
	}
	return 1;
}

int elfobj_same_code(const char *pa, const char *pb, char **why)
{
	struct obj a, b;
	*why = NULL;
	int ret = -1;
	if (obj_open(&a, pa) < 0) {
		b.e = NULL, b.fd = -1;
		goto out;
	}
	if (obj_open(&b, pb) < 0)
		goto out;
	GElf_Ehdr ea, eb;
	if (!gelf_getehdr(a.e, &ea) || !gelf_getehdr(b.e, &eb)) {
		ret = error("cannot read the ELF header of '%s' or '%s'", pa, pb);
		goto out;
	}
	ret = 0;
	if (memcmp(ea.e_ident, eb.e_ident, EI_NIDENT) || ea.e_type != eb.e_type || ea.e_machine != eb.e_machine ||
	    ea.e_flags != eb.e_flags || ea.e_entry != eb.e_entry || a.shnum != b.shnum || a.shstrndx != b.shstrndx) {
		*why = xasprintf("the ELF headers differ (%zu sections against %zu)", a.shnum, b.shnum);
		goto out;
	}
	if (!same_symbols(&a, &b, why))
		goto out;
	for (Elf_Scn *sa = elf_nextscn(a.e, NULL), *sb = elf_nextscn(b.e, NULL); sa && sb;
	     sa = elf_nextscn(a.e, sa), sb = elf_nextscn(b.e, sb))
		if (!same_section(&a, sa, &b, sb, why))
			goto out;
	ret = 1;
out:
	obj_close(&a);
	if (b.e || b.fd >= 0)
		obj_close(&b);
	return ret;
}
