"""DuckDB doing what `pingyi run`'s ingest and compute do, as far as SQL
can express it: the equal-work peer of the whole run.

Ingest reads EVERY export of the inbox (CSV in UTF-8 or GB18030, the
evaluation devices' JSON lines, XLSX workbooks), maps headers through the
configuration's aliases, and applies the checks SQL can express: required
fields, dates (the spellings people type, existing days, within
period.earliest … the as-of date, a 评议期次 like 2012Q3 agreeing with the
date), the scale (labels and aliases → rating, score, valid, satisfied),
rater categories, methods and channels (names and aliases), subjects known
to the roster, duplicates (the same response × subject × item: the first
occurrence wins), the roster's kinds, org types and pioneer categories, the
ledger's statuses and impossible histories. Rater and person ids become
HMAC-SHA256 keys computed in SQL (the same keys pingyi stores). Failing
rows go to a quarantine table. The accepted rows are written as the
warehouse tables the SQL models read (ratings partitioned by period,
subjects, raters, suggestions), then every model of queries/metrics runs
through the project's runner (models.compute on DuckDB), all in this one
process.

What it does not do (pingyi does): Unicode NFKC and invisible-character
normalization, traditional-script checks, ids in scientific notation,
stray-quote recovery, hidden rows and formula cells of workbooks, line
numbers for rows of a quoted field over several lines, file hashes and a
transactional manifest. DuckDB cannot read GB18030 or XLSX without its
`encodings` and `excel` extensions, which need a download: a GB18030 CSV is
re-encoded to UTF-8 by Python and the workbooks are read by fastexcel
(calamine), both in this process and inside the timing.

usage: duckdb_full_run.py INBOX OUT [--config pingyi.toml] [--as-of YYYY-MM-DD]
Writes OUT/wh (a warehouse folder with MANIFEST.json and a quarantine
table), OUT/metrics (NAME.parquet per model) and prints one line of counts.
Exit status as pingyi's: 0, or 3 when rows were quarantined; 1 naming the
file when an export cannot be read or lacks a required column.
"""
import argparse
import codecs
import fnmatch
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import duckdb

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "queries" / "engines"))
import duckdb_run  # noqa: E402
import models  # noqa: E402

# pipeline/contract.rs: each kind's canonical columns, True when required.
# A file is of the kind whose required columns its header has.
CONTRACT = {
    "ratings": {"response_id": True, "subject_id": True, "subject_name": False, "rated_at": True,
                "period": False, "rater_category": True, "rater_id": False, "rater_village": False,
                "device_id": False, "collector": False, "method": True, "channel": True, "item": False,
                "rating": True, "comment": False},
    "subjects": {"subject_id": True, "name": True, "kind": True, "org_type": True, "pioneer_category": False,
                 "township": True, "village": False, "parent": False, "position": False},
    "raters": {"person_id": True, "village": True, "township": True, "category": True},
    "ledger": {"suggestion_id": True, "subject_id": True, "received_at": True, "source_method": True,
               "category": True, "content": False, "answered_on_spot": False, "measure": False, "owner": False,
               "deadline": False, "status": True, "closed_at": False, "follow_up": False},
}
# Rosters first: ratings are checked against the subject roster.
ORDER = ["subjects", "raters", "ledger", "ratings"]
SUBJECT_KINDS = ["组织", "干部"]
LEDGER_STATUSES = ["未整改", "整改中", "已销号"]


def fail(path, message):
    sys.exit(f"{path}: {message}")


def q(text):
    return "'" + str(text).replace("'", "''") + "'"


def header_key(text):
    """pingyi's header match: case, spaces and full-width brackets ignored."""
    return "".join(str(text or "").split()).lower().replace("（", "(").replace("）", ")")


def header_map(cfg):
    """Normalized header text -> canonical column (the name itself and its aliases)."""
    out = {}
    for kind in CONTRACT.values():
        for c in kind:
            out[header_key(c)] = c
    for c, aliases in cfg.get("columns", {}).items():
        for a in aliases:
            out[header_key(a)] = c
    return out


def kind_of(path, canon):
    """The kind whose required columns are all present; else exit naming what is missing."""
    present = set(c for c in canon if c)
    for kind in ORDER:
        if all(c in present for c, req in CONTRACT[kind].items() if req):
            return kind
    best = max(ORDER, key=lambda k: sum(c in present for c in CONTRACT[k]))
    missing = [c for c, req in CONTRACT[best].items() if req and c not in present]
    fail(path, f"required columns missing for {best}: {', '.join(missing)}; found: {', '.join(sorted(present))}")


def encoding_of(path):
    """utf-8 (with or without BOM) when the first 64 KiB decode as UTF-8, else gb18030 (pingyi's rule)."""
    with open(path, "rb") as f:
        head = f.read(65536)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def to_utf8(path, staged):
    """DuckDB reads UTF-8 only (without the encodings extension): re-encode in 8 MiB chunks."""
    dec = codecs.getincrementaldecoder("gb18030")()
    try:
        with open(path, "rb") as src, open(staged, "w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(8 << 20):
                dst.write(dec.decode(chunk))
            dst.write(dec.decode(b"", final=True))
    except UnicodeDecodeError as e:
        fail(path, f"neither UTF-8 nor GB18030: {e}")


class Ingest:
    """Stages every file's rows in one DuckDB table per kind (canonical
    columns as text, the file's number and the row's line), then checks
    them in SQL and writes the accepted rows as Parquet."""

    def __init__(self, cfg, out, as_of):
        self.cfg, self.out, self.as_of = cfg, Path(out), as_of
        self.headers = header_map(cfg)
        self.staging = self.out / "staging"
        self.staging.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect()
        self.con.execute(f"set temp_directory = {q(self.out / 'duckdb.tmp')}")
        self.files = []  # (file_no, path, kind, base rowid, line of the first data row)
        for kind, cols in CONTRACT.items():
            self.con.execute(f"create table staged_{kind} (file_no int, line int, "
                             + ", ".join(f'"{c}" varchar' for c in cols) + ")")

    def rows(self, kind):
        return self.con.execute(f"select count(*) from staged_{kind}").fetchone()[0]

    def stage(self, path, kind, source_sql, first_line, line_sql="null"):
        """Appends the rows `source_sql` selects (canonical names) to the kind's staging table."""
        cols = ", ".join(f'"{c}"' for c in CONTRACT[kind])
        no = len(self.files)
        self.files.append((no, str(path), kind, self.rows(kind), first_line))
        try:
            self.con.execute(f"insert into staged_{kind} select {no}, {line_sql}, {cols} from ({source_sql})")
        except duckdb.Error as e:
            fail(path, f"cannot be read: {str(e).splitlines()[0]}")

    def select_list(self, kind, canon, source_names):
        """canonical <- the source column mapped to it, else null; repeated meanings refused."""
        found = {}
        for c, name in zip(canon, source_names):
            if c is None:
                continue
            if c in found:
                return None, c
            found[c] = name
        return ", ".join((f'"{found[c]}"' if c in found else "null") + f' as "{c}"' for c in CONTRACT[kind]), None

    def csv(self, path):
        enc = encoding_of(path)
        src = path
        if enc == "gb18030":
            src = self.staging / (path.name + ".utf8.csv")
            to_utf8(path, src)
        with open(src, encoding="utf-8-sig", newline="") as f:
            header = f.readline().rstrip("\r\n")
        delim = "\t" if path.suffix.lower() == ".tsv" else ","
        names = [h.strip().strip('"') for h in header.split(delim)]
        canon = [self.headers.get(header_key(h)) for h in names]
        kind = kind_of(path, canon)
        positional = [f"c{i}" for i in range(len(names))]
        select, twice = self.select_list(kind, canon, positional)
        if twice:
            fail(path, f"two columns mean {twice}")
        columns = "{" + ", ".join(f"{q(c)}: 'VARCHAR'" for c in positional) + "}"
        self.stage(path, kind, f"select {select} from read_csv({q(src)}, header = true, delim = {q(delim)}, "
                               f"quote = '\"', escape = '\"', columns = {columns})", first_line=2)

    def jsonl(self, path, source):
        """A configured source: its keys mapped to canonical columns, its constants, its scale."""
        mapping = source.get("columns") or self.own_keys(path)
        keys = {k: "VARCHAR" for k in mapping.values()}
        exprs = {c: f'"{mapping[c]}"' for c in mapping}
        exprs |= {c: q(v) for c, v in source.get("constants", {}).items()}
        scale = source.get("scale", {})
        if scale and "rating" in exprs:
            exprs["rating"] = ("case " + exprs["rating"] + " " + " ".join(f"when {q(k)} then {q(v)}" for k, v in scale.items())
                               + f" else {exprs['rating']} end")
        kind = kind_of(path, list(exprs))
        select = ", ".join(f'{exprs.get(c, "null")} as "{c}"' for c in CONTRACT[kind])
        cols = "{" + ", ".join(f"{q(k)}: 'VARCHAR'" for k in keys) + "}"
        self.stage(path, kind, f"select {select} from read_json({q(path)}, format = 'newline_delimited', "
                               f"columns = {cols}, ignore_errors = true)", first_line=1)

    def own_keys(self, path):
        """A JSON-lines file no source maps: its keys matched as headers (canonical names, aliases)."""
        with open(path, encoding="utf-8-sig") as f:
            try:
                first = json.loads(f.readline() or "{}")
            except ValueError:
                fail(path, "its first line is not JSON")
        return {self.headers[header_key(k)]: k for k in first if header_key(k) in self.headers}

    def xlsx(self, path):
        """Every visible sheet with a header row pingyi knows (within its first 5 rows), via fastexcel."""
        import fastexcel
        try:
            book = fastexcel.read_excel(str(path))
        except Exception as e:  # fastexcel raises its own types
            fail(path, f"not a readable workbook: {e}")
        for i, name in enumerate(book.sheet_names):
            sheet = book.load_sheet(i, header_row=None, dtypes="string")
            if sheet.visible != "visible":
                continue  # pingyi reads no hidden sheet either
            df = sheet.to_polars()
            at = next((r for r in range(min(5, df.height)) if self.sheet_kind(df.row(r))), None)
            if at is None:
                continue  # instructions, drop-down lists
            where = f"{path} [{name}]"
            canon = [self.headers.get(header_key(h)) for h in df.row(at)]
            kind = kind_of(where, canon)
            select, twice = self.select_list(kind, canon, [f"c{j}" for j in range(df.width)])
            if twice:
                fail(where, f"two columns mean {twice}")
            # Excel's row numbers, for the quarantine: the header is row at + 1.
            body = df.slice(at + 1).rename({c: f"c{j}" for j, c in enumerate(df.columns)})
            staged = self.staging / f"{path.stem}.{i}.csv"
            body.with_row_index("excel_row", offset=at + 2).write_csv(staged)
            self.stage(path, kind, f"select {select}, excel_row from read_csv({q(staged)}, header = true, all_varchar = true)",
                       first_line=at + 2, line_sql="excel_row::int")

    def sheet_kind(self, row):
        canon = [self.headers.get(header_key(h)) for h in row]
        present = set(c for c in canon if c)
        return any(all(c in present for c, req in CONTRACT[k].items() if req) for k in ORDER)

    def read_inbox(self, inbox):
        sources = [s for s in self.cfg.get("sources", {}).values() if isinstance(s, dict)]
        files = sorted(p for p in Path(inbox).iterdir() if p.is_file())
        if not files:
            fail(inbox, "no exports in the inbox")
        for p in files:
            suffix = p.suffix.lower()
            if suffix in (".csv", ".tsv", ".txt"):
                self.csv(p)
            elif suffix in (".jsonl", ".json", ".ndjson"):
                source = next((s for s in sources if any(fnmatch.fnmatch(p.name, g) for g in s.get("files", []))), {})
                self.jsonl(p, source)
            elif suffix == ".xlsx":
                self.xlsx(p)
            else:
                print(f"{p}: skipped (not CSV, TSV, JSON lines or XLSX)", file=sys.stderr)
        self.con.execute("create table files (file_no int, path varchar, kind varchar, base bigint, first_line int)")
        self.con.executemany("insert into files values (?, ?, ?, ?, ?)", self.files)

    # ---- the checks, in SQL ------------------------------------------------

    def lookups(self):
        """The configuration's vocabularies as tables keyed by lower(trim(text))."""
        cfg, con = self.cfg, self.con
        scale = [(a, s["label"], s.get("score"), bool(s.get("satisfied")), bool(s.get("abstain")))
                 for s in cfg["scale"] for a in [s["label"], *s.get("aliases", [])]]
        con.execute("create table map_scale (alias varchar, label varchar, score double, satisfied bool, abstain bool)")
        con.executemany("insert into map_scale values (lower(?), ?, ?, ?, ?)", scale)
        for table, key in (("category", "rater_categories"), ("method", "methods"), ("channel", "channels")):
            pairs = [(a, e["name"]) for e in cfg[key] for a in [e["name"], *e.get("aliases", [])]]
            con.execute(f"create table map_{table} (alias varchar, name varchar)")
            con.executemany(f"insert into map_{table} values (lower(?), ?)", pairs)
        con.execute("create table org_types (name varchar)")
        con.executemany("insert into org_types values (?)", [(o["name"],) for o in cfg["org_types"]])
        con.execute("create table pioneers (name varchar)")
        con.executemany("insert into pioneers values (?)", [(p["name"],) for p in cfg.get("pioneers", [])])

    def macros(self, key):
        """clean(x): trimmed, empty as null. day(x): a typed date as pingyi
        reads it (2012-09-03, 2012/9/3, 2012.9.3, 2012年9月3日, an Excel serial,
        with or without a time), null when no such day. clock(x): its time,
        HH:MM:SS; clock_ok(x): false for an impossible time. rater_key(x):
        the first 16 bytes of HMAC-SHA256(key, id), hex, as pingyi keys ids."""
        if len(key) > 64:  # RFC 2104: a long key is hashed first
            key = hashlib.sha256(key).digest()
        key = key.ljust(64, b"\0")
        ipad, opad = bytes(b ^ 0x36 for b in key).hex(), bytes(b ^ 0x5C for b in key).hex()
        pattern = r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?$"
        for sql in [
            "create macro clean(x) as nullif(trim(x), '')",
            f"create macro parts(x) as regexp_extract(trim(x), {q(pattern)}, ['y', 'm', 'd', 'hh', 'mi', 'ss'])",
            "create macro serial_day(x) as case when regexp_full_match(trim(x), '[1-9][0-9]{4}(\\.[0-9]+)?')"
            " then date '1899-12-30' + cast(floor(cast(trim(x) as double)) as int) end",
            "create macro day(x, p) as coalesce(serial_day(x), try_strptime(p.y || '-' || p.m || '-' || p.d, '%Y-%m-%d')::date)",
            # try_cast: DuckDB evaluates both sides of the `or`
            "create macro clock_ok(p) as p.hh = '' or (try_cast(p.hh as int) < 24 and try_cast(p.mi as int) < 60"
            " and coalesce(try_cast(nullif(p.ss, '') as int), 0) < 60)",
            "create macro clock(p) as case when p.hh <> '' then lpad(p.hh, 2, '0') || ':' || lpad(p.mi, 2, '0') || ':'"
            " || lpad(coalesce(nullif(p.ss, ''), '0'), 2, '0') end",
            f"create macro rater_key(x) as left(sha256(unhex('{opad}') || unhex(sha256(unhex('{ipad}') || encode(x)))), 32)",
        ]:
            self.con.execute(sql)

    def period_sql(self, d):
        """The period of date expression `d` at the configured granularity."""
        g = self.cfg.get("period", {}).get("granularity", "quarter")
        y = f"strftime({d}, '%Y')"
        return {"quarter": f"{y} || 'Q' || quarter({d})", "half": f"{y} || 'H' || (1 + (month({d}) > 6)::int)",
                "month": f"strftime({d}, '%Y-%m')", "year": y}[g]

    def sourced(self, kind):
        """The staged rows with their file and line (the row's place in its file when the reader gave none)."""
        return (f"select s.*, f.path as source_file, coalesce(s.line, s.rowid - f.base + f.first_line) as source_line "
                f"from staged_{kind} s join files f using (file_no)")

    def bounds(self):
        earliest = self.cfg.get("period", {}).get("earliest") or "2000-01-01"
        return f"date {q(earliest)}", f"date {q(self.as_of.isoformat())}"

    def subjects(self):
        self.con.execute(f"""create table checked_subjects as
            with n as (select source_file, source_line, file_no, upper(clean(subject_id)) as subject_id, clean(name) as name,
                              clean(kind) as kind, clean(org_type) as org_type, clean(pioneer_category) as pioneer_category,
                              clean(township) as township, clean(village) as village, clean(parent) as parent,
                              clean(position) as position
                       from ({self.sourced('subjects')}))
            select *, case
                when subject_id is null or name is null or kind is null or org_type is null or township is null then 'missing_required'
                when kind not in ({', '.join(map(q, SUBJECT_KINDS))}) then 'unknown_kind'
                when org_type not in (select name from org_types) then 'unknown_org_type'
                when pioneer_category is not null and pioneer_category not in (select name from pioneers) then 'unknown_pioneer'
              end as reason
            from n""")
        # A roster is a snapshot: the latest row per id wins.
        self.write("subjects", """select subject_id, name, kind, org_type, pioneer_category, township, village, parent, position,
                   1::uinteger as batch_id, source_file, source_line::uinteger as source_line
            from checked_subjects where reason is null
            qualify row_number() over (partition by subject_id order by file_no desc, source_line desc) = 1""")

    def raters(self):
        self.con.execute(f"""create table checked_raters as
            with n as (select source_file, source_line, file_no, upper(clean(person_id)) as person_id, clean(village) as village,
                              clean(township) as township, clean(s.category) as category_text, c.name as category
                       from ({self.sourced('raters')}) s left join map_category c on c.alias = lower(clean(s.category)))
            select *, case
                when person_id is null or village is null or township is null or category_text is null then 'missing_required'
                when category is null then 'unknown_category'
              end as reason
            from n""")
        self.write("raters", """select rater_key(person_id) as person_key, village, township, category,
                   1::uinteger as batch_id, source_file, source_line::uinteger as source_line
            from checked_raters where reason is null
            qualify row_number() over (partition by person_id order by file_no desc, source_line desc) = 1""")

    def ledger(self):
        lo, hi = self.bounds()
        self.con.execute(f"""create table checked_ledger as
            with n as (select source_file, source_line, file_no, upper(clean(suggestion_id)) as suggestion_id,
                              upper(clean(subject_id)) as subject_id, clean(received_at) as received_text,
                              day(received_at, parts(received_at)) as received_at, clean(s.source_method) as method_text,
                              m.name as source_method, clean(category) as category, clean(content) as content,
                              clean(answered_on_spot) as spot_text,
                              case when lower(clean(answered_on_spot)) in ('是', 'true', 'y', 'yes', '1') then true
                                   when lower(clean(answered_on_spot)) in ('否', 'false', 'n', 'no', '0') then false end as answered_on_spot,
                              clean(measure) as measure, clean(owner) as owner, clean(deadline) as deadline_text,
                              day(deadline, parts(deadline)) as deadline, clean(status) as status,
                              clean(closed_at) as closed_text, day(closed_at, parts(closed_at)) as closed_at,
                              clean(follow_up) as follow_up
                       from ({self.sourced('ledger')}) s left join map_method m on m.alias = lower(clean(s.source_method))),
            c as (select *, case
                when suggestion_id is null or subject_id is null or received_text is null or method_text is null
                     or category is null or status is null then 'missing_required'
                when received_at is null or received_at < {lo} or received_at > {hi} then 'bad_date'
                when deadline_text is not null and (deadline is null or deadline < {lo}) then 'bad_date'
                when closed_text is not null and (closed_at is null or closed_at < {lo} or closed_at > {hi}) then 'bad_date'
                when status not in ({', '.join(map(q, LEDGER_STATUSES))}) then 'unknown_status'
                when source_method is null then 'unknown_method'
                when subject_id not in (select subject_id from checked_subjects where reason is null) then 'unknown_subject'
                when spot_text is not null and answered_on_spot is null then 'bad_value'
                when closed_at < received_at or deadline < received_at or (status = '已销号' and closed_at is null)
                     or (status = '未整改' and closed_at is not null) then 'impossible_history'
              end as reason from n),
            -- One item on several rows of a file: the same row again is a duplicate; rows that disagree all go.
            h as (select *, hash(subject_id, received_at, source_method, category, content, answered_on_spot, measure, owner,
                                 deadline, status, closed_at, follow_up) as h from c)
            select * exclude (h, reason), case
                when reason is not null then reason
                when min(h) over w <> max(h) over w then 'conflicting_rows'
                when row_number() over (w order by source_line) > 1 then 'duplicate'
              end as reason
            from h window w as (partition by file_no, suggestion_id, reason is null)""")
        self.write("suggestions", """select suggestion_id, subject_id, received_at, source_method, category, content,
                   answered_on_spot, measure, owner, deadline, status, closed_at, follow_up,
                   1::uinteger as batch_id, source_file, source_line::uinteger as source_line
            from checked_ledger where reason is null
            qualify row_number() over (partition by suggestion_id order by file_no desc, source_line desc) = 1""")

    def ratings(self):
        lo, hi = self.bounds()
        default_item = q(self.cfg.get("items", {}).get("default", "总体评价"))
        self.con.execute(f"""create table checked_ratings as
            with n as (select source_file, source_line, file_no, upper(clean(response_id)) as response_id,
                              upper(clean(subject_id)) as subject_id, clean(rated_at) as rated_text, parts(rated_at) as p,
                              upper(clean(period)) as period_text, clean(s.rater_category) as category_text,
                              c.name as rater_category, upper(clean(rater_id)) as rater_id,
                              clean(rater_village) as rater_village, clean(device_id) as device_id,
                              clean(collector) as collector, clean(s.method) as method_text, m.name as method,
                              clean(s.channel) as channel_text, ch.name as channel,
                              coalesce(clean(item), {default_item}) as item, clean(s.rating) as rating_text,
                              sc.label as rating, sc.score, sc.satisfied as satisfied_level, sc.abstain,
                              clean(comment) as comment
                       from ({self.sourced('ratings')}) s
                       left join map_category c on c.alias = lower(clean(s.rater_category))
                       left join map_method m on m.alias = lower(clean(s.method))
                       left join map_channel ch on ch.alias = lower(clean(s.channel))
                       left join map_scale sc on sc.alias = lower(clean(s.rating))),
            d as (select * exclude (p), day(rated_text, p) as rated_at, clock_ok(p) as clock_ok, clock(p) as rated_time from n),
            c as (select *, {self.period_sql('rated_at')} as period, case
                when response_id is null or subject_id is null or rated_text is null or category_text is null
                     or method_text is null or channel_text is null or rating_text is null then 'missing_required'
                when rated_at is null or not clock_ok or rated_at < {lo} or rated_at > {hi} then 'bad_date'
                -- a 评议期次 naming a period the date is not in (other spellings of a period are left aside)
                when regexp_full_match(period_text, '\\d{{4}}Q[1-4]') and period_text <> {self.period_sql('rated_at')} then 'bad_date'
                when subject_id not in (select subject_id from checked_subjects where reason is null) then 'unknown_subject'
                when rating is null then 'off_scale'
                when rater_category is null then 'unknown_category'
                when method is null then 'unknown_method'
                when channel is null then 'unknown_channel'
              end as reason from d)
            -- the same response × subject × item again: the first (file, line) wins
            select * exclude (reason), case
                when reason is not null then reason
                when row_number() over (partition by response_id, subject_id, item, reason is null
                                        order by file_no, source_line) > 1 then 'duplicate'
              end as reason
            from c""")
        self.con.execute("drop table staged_ratings")  # its memory, before the write
        self.write("ratings", """select response_id, subject_id, rated_at, rated_time, period, rater_category,
                   rater_key(rater_id) as rater_key, rater_village, device_id, collector, method, channel, item, rating,
                   case when not abstain then score end as score, not abstain as valid,
                   case when not abstain then satisfied_level end as satisfied, comment,
                   1::uinteger as batch_id, source_file, source_line::uinteger as source_line
            from checked_ratings where reason is null""", partition="period")

    def write(self, table, sql, partition=None):
        """COPY to OUT/wh/TABLE (a folder of period partitions) or OUT/wh/TABLE.parquet."""
        wh = self.out / "wh"
        wh.mkdir(parents=True, exist_ok=True)
        if partition:
            target = wh / table
            options = f", partition_by ({partition}), write_partition_columns true"
        else:
            target = wh / f"{table}.parquet"
            options = ""
        self.con.execute(f"copy ({sql}) to {q(target)} (format parquet, compression zstd{options})")

    def quarantine(self):
        """Every failing row: kind, file, line, reason."""
        union = " union all ".join(f"select '{k}' as kind, source_file, source_line::uinteger as source_line, reason "
                                   f"from checked_{k} where reason is not null" for k in ("subjects", "raters", "ledger", "ratings"))
        self.write("quarantine", union + " order by source_file, source_line")
        return self.con.execute(f"select count(*) from ({union})").fetchone()[0]

    def tables(self):
        """Table name -> its Parquet files (what a warehouse manifest lists)."""
        wh = self.out / "wh"
        return {"ratings": sorted(str(p) for p in (wh / "ratings").rglob("*.parquet")),
                **{t: [str(wh / f"{t}.parquet")] for t in ("subjects", "raters", "suggestions", "quarantine")}}


def rater_key_of(cfg):
    """PINGYI_RATER_KEY (the name privacy.rater_key_env gives), else privacy.rater_key: pingyi's rule."""
    p = cfg.get("privacy", {})
    key = os.environ.get(p.get("rater_key_env", "PINGYI_RATER_KEY")) or p.get("rater_key", "")
    if not key:
        sys.exit("no rater key (PINGYI_RATER_KEY or privacy.rater_key): ids are never stored in clear")
    return key.encode()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inbox")
    ap.add_argument("out")
    ap.add_argument("--config", default=str(ROOT / "pingyi.toml"), help="pingyi.toml (merged over pingyi's defaults)")
    ap.add_argument("--as-of", help="YYYY-MM-DD (default: report.as_of, else today)")
    args = ap.parse_args()
    if not Path(args.inbox).is_dir():
        sys.exit(f"{args.inbox}: no such inbox folder")
    cfg = models.load_config(args.config)
    as_of = models.as_of_date(args.as_of, cfg)
    started = time.monotonic()
    ingest = Ingest(cfg, args.out, as_of)
    ingest.macros(rater_key_of(cfg))
    ingest.lookups()
    ingest.read_inbox(args.inbox)
    ingest.subjects()
    ingest.raters()
    ingest.ledger()
    ingest.ratings()
    quarantined = ingest.quarantine()
    accepted = ingest.con.execute("select count(*) from checked_ratings where reason is null").fetchone()[0]
    tables = ingest.tables()
    ingest.con.close()  # its tables' memory, before compute
    wh = Path(args.out) / "wh"
    manifest = {"tables": {t: [os.path.relpath(f, wh) for f in files] for t, files in tables.items()}}
    (wh / "MANIFEST.json").write_text(json.dumps(manifest, indent=1))
    ingested = time.monotonic() - started
    run = SimpleNamespace(config=args.config, as_of=as_of.isoformat(), models=str(ROOT / "queries" / "metrics"),
                          out=str(Path(args.out) / "metrics"), check=False)
    models.compute(duckdb_run.Engine(), run, tables)
    print(f"ratings accepted {accepted}, rows quarantined {quarantined}; ingest {ingested:.1f} s, "
          f"compute {time.monotonic() - started - ingested:.1f} s")
    sys.exit(3 if quarantined else 0)


if __name__ == "__main__":
    main()
