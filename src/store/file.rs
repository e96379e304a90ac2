//! `file:` — the Zoho SDK FileStore: a CSV file with a header line and ten
//! columns read by position.
//!
//! Reads accept every variant the SDKs write (labels, 9 or 10 columns, CRLF,
//! LF or mixed, blank lines, all fields quoted, the literal `null`). Writes
//! hold a lock file beside the store, write a temporary file in the same
//! folder, fsync it and rename it over the store, so a reader never sees a
//! torn file and a crash never leaves half of one.

use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

use super::absolute;
use super::table::{Row, TokenTable};
use super::{
    create_private_file, create_private_parent, permission_warning, upsert, Bulk, Details, Rows,
    TokenStore,
};
use crate::token::{BestMatch, MatchKey, Token, FIELD_NAMES};

/// The header of a new file: the Python SDK 8.0 labels, which are the
/// field names but for `redirect_uri`.
pub const NEW_FILE_HEADER: [&str; 10] = {
    let mut labels = FIELD_NAMES;
    labels[8] = "redirect_uri";
    labels
};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How an existing file is laid out, so that a rewrite keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The header labels as found (9 or 10 of them).
    pub labels: Vec<String>,
    /// Whether the header line ends in CRLF (otherwise LF).
    pub crlf: bool,
    /// Whether the file starts with a UTF-8 byte order mark.
    pub bom: bool,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            labels: NEW_FILE_HEADER.map(str::to_owned).to_vec(),
            crlf: false,
            bom: false,
        }
    }
}

impl Layout {
    /// The ten labels written back: a 9-column file gains `api_domain`.
    fn labels_to_write(&self) -> Vec<&str> {
        let mut labels: Vec<&str> = self.labels.iter().map(String::as_str).collect();
        if labels.len() == 9 {
            labels.push(FIELD_NAMES[9]);
        }
        labels
    }
}

/// What a read of the file found.
pub struct Contents {
    /// `None` when the file is missing or empty.
    pub layout: Option<Layout>,
    /// Rows in file order.
    pub tokens: Vec<Token>,
}

pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    pub fn new(path: PathBuf) -> FileStore {
        FileStore { path }
    }

    /// Reads the whole file; a missing file is an empty store.
    fn read(&self) -> Result<(Option<Layout>, Vec<Row>)> {
        let mut rows = Vec::new();
        let layout = self.scan(&mut |row| {
            rows.push(row);
            Ok(())
        })?;
        Ok((layout, rows))
    }

    /// Streams the file's rows to `visit`; a missing file has none.
    fn scan(&self, visit: &mut dyn FnMut(Row) -> Result<()>) -> Result<Option<Layout>> {
        let file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot open {}", self.path.display()))
            }
        };
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            bail!("{} is a folder, not a file", self.path.display());
        }
        scan_rows(BufReader::with_capacity(1 << 16, file), visit)
            .with_context(|| format!("cannot read {}", self.path.display()))
    }

    fn lock_path(&self) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        self.path.with_file_name(name)
    }

    /// Takes the exclusive lock that serialises writers between processes.
    fn lock(&self) -> Result<File> {
        let lock_path = self.lock_path();
        create_private_file(&lock_path)?;
        let lock = fs::OpenOptions::new()
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("cannot open lock file {}", lock_path.display()))?;
        lock.lock()
            .with_context(|| format!("cannot lock {}", lock_path.display()))?;
        Ok(lock)
    }

    /// Read, change and atomically rewrite the file under the lock. `change`
    /// returns its result and whether it changed anything; nothing is written
    /// when it did not, or when it failed.
    fn modify<T>(
        &mut self,
        change: impl FnOnce(&mut TokenTable) -> Result<(T, bool)>,
    ) -> Result<T> {
        let _lock = self.lock()?;
        let (layout, rows) = self.read()?;
        let mut table = TokenTable::from_rows(rows);
        let (result, changed) = change(&mut table)?;
        if changed {
            self.write(&layout.unwrap_or_default(), table.rows())?;
        }
        Ok(result)
    }

    /// Atomically replaces the file: temp file beside it, fsync, rename.
    fn write(&self, layout: &Layout, rows: &[Row]) -> Result<()> {
        let shown = self.path.display();
        create_private_parent(&self.path)?;
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        // tempfile creates the file 0600, which is what a new store gets.
        let temp = tempfile::Builder::new()
            .prefix(".tokenstore-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
        let mut out = BufWriter::with_capacity(1 << 16, temp.as_file());
        write_rows(&mut out, layout, rows.iter().map(Row::fields_or_empty))
            .with_context(|| format!("cannot write {shown}"))?;
        out.flush()
            .with_context(|| format!("cannot write {shown}"))?;
        drop(out);
        keep_owner_and_mode(&self.path, temp.path())?;
        temp.as_file()
            .sync_all()
            .with_context(|| format!("cannot sync {shown}"))?;
        temp.persist(&self.path)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot replace {shown}"))?;
        // Make the rename itself durable.
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

/// Gives the replacement file the mode (and, where allowed, the owner) of
/// the file it replaces.
fn keep_owner_and_mode(original: &Path, replacement: &Path) -> Result<()> {
    let Ok(meta) = fs::metadata(original) else {
        return Ok(());
    };
    fs::set_permissions(replacement, meta.permissions())
        .with_context(|| format!("cannot set the mode of {}", replacement.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // Only root may give a file away; for others it is already theirs.
        let _ = std::os::unix::fs::chown(replacement, Some(meta.uid()), Some(meta.gid()));
    }
    Ok(())
}

/// Parses a FileStore: header, then rows of the header's width (9 or 10).
pub fn read_csv<R: Read>(input: R) -> Result<Contents> {
    let mut tokens = Vec::new();
    let layout = scan_rows(input, &mut |row| {
        tokens.push(row.to_token());
        Ok(())
    })?;
    Ok(Contents { layout, tokens })
}

/// Parses a FileStore, handing each row to `visit` in file order; returns
/// the layout (`None` for an empty file).
pub(crate) fn scan_rows<R: Read>(
    mut input: R,
    visit: &mut dyn FnMut(Row) -> Result<()>,
) -> Result<Option<Layout>> {
    let mut head = Vec::new();
    // Read enough to see how the header line ends.
    input
        .by_ref()
        .take(1 << 16)
        .read_to_end(&mut head)
        .context("cannot read")?;
    let bom = head.starts_with(BOM);
    let start = if bom { BOM.len() } else { 0 };
    let crlf = head[start..]
        .iter()
        .position(|&b| b == b'\n')
        .is_some_and(|i| i > 0 && head[start + i - 1] == b'\r');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(std::io::Cursor::new(head).chain(input));

    let mut record = csv::ByteRecord::new();
    let mut layout: Option<Layout> = None;
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => bail!(
                "line {}: {}",
                error_line(&e).unwrap_or(line),
                csv_reason(&e)
            ),
        }
        let line = record.position().map_or(line, |p| p.line());
        let fields = text_fields(&record, layout.is_none() && bom)
            .map_err(|reason| anyhow!("line {line}: {reason}"))?;
        match &layout {
            None => {
                if fields.len() != 9 && fields.len() != 10 {
                    bail!(
                        "line {line}: the header has {} columns, expected 10 (or 9 in 2.x/4.x stores)",
                        fields.len()
                    );
                }
                if !fields.first[0].trim().eq_ignore_ascii_case("id") {
                    bail!("line {line}: expected a header line starting with `id`; this is not a token file");
                }
                layout = Some(Layout {
                    labels: fields.iter().map(|f| f.to_string()).collect(),
                    crlf,
                    bom,
                });
            }
            Some(l) => {
                if fields.len() != l.labels.len() {
                    bail!(
                        "line {line}: {} fields, expected {} like the header",
                        fields.len(),
                        l.labels.len()
                    );
                }
                // Scala's FileStore writes the literal `null` for absent.
                let mut values = fields.first;
                for value in values.iter_mut().filter(|v| **v == "null") {
                    *value = "";
                }
                visit(Row::new(&values[..fields.len()]))?;
            }
        }
    }
    Ok(layout)
}

fn error_line(e: &csv::Error) -> Option<u64> {
    e.position().map(|p| p.line())
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) => format!("read error: {io}"),
        _ => "malformed CSV".to_string(),
    }
}

/// The record's fields as text; NULs and invalid UTF-8 mean "not a text
/// file". The first ten are borrowed, without allocating; more are counted.
fn text_fields(record: &csv::ByteRecord, strip_bom: bool) -> Result<TextFields<'_>, String> {
    let mut fields = TextFields::default();
    for (i, field) in record.iter().enumerate() {
        let field = if i == 0 && strip_bom {
            field.strip_prefix(BOM).unwrap_or(field)
        } else {
            field
        };
        if field.contains(&0) {
            return Err("contains a NUL byte; this is not a text file".to_string());
        }
        let text = std::str::from_utf8(field)
            .map_err(|_| format!("field {} is not valid UTF-8", i + 1))?;
        if let Some(slot) = fields.first.get_mut(i) {
            *slot = text;
        }
        fields.count += 1;
    }
    Ok(fields)
}

/// Up to ten borrowed fields of a record, and how many it had in all.
#[derive(Default)]
struct TextFields<'r> {
    first: [&'r str; 10],
    count: usize,
}

impl<'r> TextFields<'r> {
    fn len(&self) -> usize {
        self.count
    }

    fn iter(&self) -> impl Iterator<Item = &&'r str> {
        self.first[..self.count.min(10)].iter()
    }
}

/// Writes a FileStore: the layout's header, then ten fields a row, quoting
/// only what needs it (RFC 4180), with the layout's line ending.
pub fn write_csv<W: Write>(out: &mut W, layout: &Layout, tokens: &[Token]) -> Result<()> {
    write_rows(out, layout, tokens.iter().map(Token::fields_or_empty))
}

fn write_rows<'a, W: Write>(
    out: &mut W,
    layout: &Layout,
    rows: impl Iterator<Item = [&'a str; 10]>,
) -> Result<()> {
    if layout.bom {
        out.write_all(BOM)?;
    }
    let terminator = if layout.crlf {
        csv::Terminator::CRLF
    } else {
        csv::Terminator::Any(b'\n')
    };
    let mut writer = csv::WriterBuilder::new()
        .terminator(terminator)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(out);
    writer.write_record(layout.labels_to_write())?;
    for fields in rows {
        // The SDKs (and this reader) take a NUL byte to mean "not text".
        if fields.iter().any(|f| f.contains('\0')) {
            bail!(
                "token {} holds a NUL character, which a token file cannot hold",
                fields[0]
            );
        }
        writer.write_record(fields)?;
    }
    writer.flush()?;
    Ok(())
}

/// The file read under the lock; written back on commit.
struct FileBulk<'s> {
    store: &'s FileStore,
    _lock: File,
    layout: Layout,
    table: TokenTable,
    /// Rows the file had before; later rows were added by this write.
    existing_rows: usize,
}

impl Bulk for FileBulk<'_> {
    fn existing(&mut self, ids: &[String]) -> Result<Vec<Token>> {
        ids.iter()
            .filter_map(|id| self.table.find(&MatchKey::Id(id)).transpose())
            .collect()
    }

    fn put(&mut self, tokens: &[Token]) -> Result<()> {
        self.table.put(tokens)
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        // Existing rows keep their place; added ones follow in id order.
        self.table.sort_from(self.existing_rows);
        self.store.write(&self.layout, self.table.rows())
    }
}

impl TokenStore for FileStore {
    fn bulk(&mut self) -> Result<Box<dyn Bulk + '_>> {
        let lock = self.lock()?;
        let (layout, rows) = self.read()?;
        Ok(Box::new(FileBulk {
            store: self,
            _lock: lock,
            layout: layout.unwrap_or_default(),
            existing_rows: rows.len(),
            table: TokenTable::from_rows(rows),
        }))
    }

    fn save_tokens(&mut self, tokens: &[Token]) -> Result<Vec<Token>> {
        self.modify(|table| {
            let saved = tokens
                .iter()
                .map(|t| upsert(table, t))
                .collect::<Result<Vec<_>>>()?;
            Ok((saved, true))
        })
    }

    fn find(&mut self, key: &MatchKey<'_>) -> Result<Option<Token>> {
        // Streams the file; only a better candidate is turned into a token.
        let mut best = BestMatch::new(key);
        self.scan(&mut |row| {
            best.offer(row.fields(), || row.to_token());
            Ok(())
        })?;
        Ok(best.finish())
    }

    fn for_each_token(&mut self, visit: &mut dyn FnMut(Token) -> Result<()>) -> Result<()> {
        let (_, rows) = self.read()?;
        TokenTable::from_rows(rows)
            .sorted()
            .into_iter()
            .try_for_each(visit)
    }

    fn for_each_unordered(&mut self, visit: &mut dyn FnMut(Token) -> Result<()>) -> Result<()> {
        self.scan(&mut |row| visit(row.to_token())).map(|_| ())
    }

    fn delete_ids(&mut self, ids: &[String]) -> Result<Vec<String>> {
        self.modify(|table| {
            let removed = table.remove(ids);
            let changed = !removed.is_empty();
            Ok((removed, changed))
        })
    }

    fn delete_matching(&mut self, select: &dyn Fn(&Token) -> bool) -> Result<Vec<Token>> {
        self.modify(|table| {
            let gone = table.remove_where(select);
            let changed = !gone.is_empty();
            Ok((gone, changed))
        })
    }

    fn delete_tokens(&mut self) -> Result<usize> {
        self.modify(|table| {
            let n = table.clear();
            Ok((n, n > 0))
        })
    }

    fn details(&mut self) -> Result<Details> {
        let mut details = Details::default();
        details
            .facts
            .push(("file".into(), absolute(&self.path).display().to_string()));
        details.warnings.extend(permission_warning(&self.path));
        // A malformed file is reported by `info` itself, as it counts.
        let Ok((layout, rows)) = self.read() else {
            return Ok(details);
        };
        let Some(layout) = layout else {
            details.facts.push((
                "layout".into(),
                "no file yet (created on the first save)".into(),
            ));
            return Ok(details);
        };
        details
            .facts
            .push(("header".into(), layout.labels.join(",")));
        details
            .facts
            .push(("columns".into(), layout.labels.len().to_string()));
        let ends = if layout.crlf { "CRLF" } else { "LF" };
        details.facts.push(("lines".into(), ends.into()));
        if layout.labels.len() == 9 {
            details.warnings.push(
                "9-column (SDK 2.x/4.x) file: it gains the api_domain column on the next write"
                    .into(),
            );
        }
        if layout.crlf {
            details.warnings.push(
                "CRLF line ends: the Node, C# and Scala SDKs split lines naively and may misread them"
                    .into(),
            );
        }
        if layout.bom {
            details.warnings.push(
                "the file starts with a UTF-8 byte order mark, which some SDKs misread".into(),
            );
        }
        let broken: Vec<&str> = rows
            .iter()
            .filter(|r| r.fields_or_empty().iter().any(|v| v.contains(['\n', '\r'])))
            .filter_map(Row::id)
            .collect();
        if !broken.is_empty() {
            details.warnings.push(format!(
                "tokens {} hold line breaks in a value: SDKs that split lines naively misread them",
                broken.join(", ")
            ));
        }
        Ok(details)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Contents> {
        read_csv(text.as_bytes())
    }

    #[test]
    fn reads_nine_columns_crlf_quoted_and_null() {
        let text = "\"id\",\"user_mail\",\"client_id\",\"client_secret\",\"refresh_token\",\"access_token\",\"grant_token\",\"expiry_time\",\"redirect_url\"\r\n\
                    \"1\",\"a@b.c\",\"cid\",\"sec\",\"rt\",\"null\",\"\",\"5\",\"https://x\"\r\n\r\n";
        let contents = parse(text).unwrap();
        let layout = contents.layout.unwrap();
        assert!(layout.crlf);
        assert_eq!(layout.labels[1], "user_mail");
        assert_eq!(layout.labels.len(), 9);
        let t = &contents.tokens[0];
        assert_eq!(t.user_name.as_deref(), Some("a@b.c"));
        assert_eq!(t.access_token, None);
        assert_eq!(t.api_domain, None);
    }

    #[test]
    fn a_byte_order_mark_is_kept() {
        let text = "\u{feff}id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url,api_domain\n1,a,,,r,,,,,\n";
        let contents = parse(text).unwrap();
        let layout = contents.layout.unwrap();
        assert!(layout.bom);
        assert_eq!(layout.labels[0], "id");
        let mut out = Vec::new();
        write_csv(&mut out, &layout, &contents.tokens).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), text);
    }

    #[test]
    fn errors_name_the_line() {
        let err = parse("id,a,b,c,d,e,f,g,h,i\n1,2,3\n").err().unwrap();
        assert!(format!("{err:#}").contains("line 2"), "{err:#}");
        let err = parse("user,a,b,c,d,e,f,g,h,i\n").err().unwrap();
        assert!(format!("{err:#}").contains("line 1"), "{err:#}");
        let err = parse("id,a,b,c,d,e,f,g,h,i\n1,\0,3,4,5,6,7,8,9,10\n")
            .err()
            .unwrap();
        assert!(format!("{err:#}").contains("NUL"), "{err:#}");
        let err = read_csv(&b"id,a,b,c,d,e,f,g,h,i\n1,\xff,3,4,5,6,7,8,9,10\n"[..])
            .err()
            .unwrap();
        assert!(format!("{err:#}").contains("UTF-8"), "{err:#}");
    }

    #[test]
    fn written_file_reads_back_and_quotes_only_what_needs_it() {
        let layout = Layout::default();
        let mut fields: [Option<String>; 10] = Default::default();
        fields[0] = Some("1".into());
        fields[1] = Some("Smith, John \"JJ\"\nline2".into());
        fields[4] = Some("rt".into());
        let token = Token::from_fields(fields);
        let mut out = Vec::new();
        write_csv(&mut out, &layout, std::slice::from_ref(&token)).unwrap();
        let text = String::from_utf8(out.clone()).unwrap();
        assert_eq!(
            text,
            "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri,api_domain\n\
             1,\"Smith, John \"\"JJ\"\"\nline2\",,,rt,,,,,\n"
        );
        assert_eq!(read_csv(&out[..]).unwrap().tokens, vec![token]);
    }
}
