//! `file:` — the Zoho SDK FileStore: a CSV file with a header line and ten
//! columns read by position.
//!
//! Reads accept every variant the SDKs write (labels, 9 or 10 columns, CRLF,
//! LF or mixed, blank lines, all fields quoted, the literal `null`). Writes
//! hold a lock file beside the store, write a temporary file in the same
//! folder, fsync it and rename it over the store, so a reader never sees a
//! torn file and a crash never leaves half of one.

use std::cmp::Ordering;
use std::fs::{self, File};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};

use super::fsutil::{self, CreatedFolders, Stamp, WriterLock};
use super::table::{Row, RowRef, TableSink, TableTx, TokenTable};
use super::{absolute, permission_warning, Details, StoreError, TokenStore, WriteTx};
use crate::field::Field;
use crate::token::{compare_id_bytes, compare_ids, BestMatch, MatchKey, Token};
pub use crate::uri::Flavor;

/// The header of a new file: the Python SDK 8.0 labels.
pub const NEW_FILE_HEADER: [&str; 10] = {
    let mut labels = [""; 10];
    let mut i = 0;
    while i < 10 {
        labels[i] = Field::ALL[i].new_file_label();
        i += 1;
    }
    labels
};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How values are quoted in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quoting {
    /// RFC 4180 where needed (the Python csv module).
    Minimal,
    /// Every field quoted (Java 2.x/4.x).
    All,
    /// None at all: values joined with `,`, read by splitting on `,` (the
    /// Node.js/TypeScript FileStores), so a value cannot hold a comma, a
    /// quote or a line break.
    Plain,
}

/// How an existing file is laid out, so that a rewrite keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The header labels as found (9 or 10 of them); the file keeps its
    /// width: a 9-column (SDK 2.x) file is written with 9 columns.
    pub labels: Vec<String>,
    /// Whether the header line ends in CRLF (otherwise LF).
    pub crlf: bool,
    /// Whether the file starts with a UTF-8 byte order mark.
    pub bom: bool,
    pub quoting: Quoting,
    /// Whether the last row ends with a line break (the JavaScript SDKs
    /// write none, and Node 2.x appends `"\n" + row`).
    pub final_newline: bool,
    /// What the reader noticed, for `info` and `list` (a Node row with
    /// more fields than the header, and what the SDK makes of it).
    pub notes: Vec<String>,
}

impl Default for Layout {
    fn default() -> Self {
        Layout::for_flavor(Flavor::Python)
    }
}

impl Layout {
    /// The layout each SDK family gives a new file.
    pub fn for_flavor(flavor: Flavor) -> Layout {
        let mut labels: Vec<String> = NEW_FILE_HEADER.map(str::to_owned).to_vec();
        let plain = matches!(flavor, Flavor::Node | Flavor::Node2);
        if plain {
            labels[8] = Field::RedirectUrl.name().to_string();
        }
        if matches!(flavor, Flavor::Python2 | Flavor::Node2) {
            labels[1] = "user_mail".to_string();
            labels.truncate(9);
        }
        Layout {
            labels,
            // LF is read by every Python reader; the 2.x SDK writes CRLF.
            crlf: flavor == Flavor::Python2,
            bom: false,
            quoting: if plain {
                Quoting::Plain
            } else {
                Quoting::Minimal
            },
            final_newline: !plain,
            notes: Vec::new(),
        }
    }

    /// Which SDK family writes files like this one.
    pub fn flavor_name(&self) -> &'static str {
        match (self.quoting, self.labels.len()) {
            (Quoting::Plain, 9) => {
                "node2 (Node.js/TypeScript SDK 2.x: no quoting, no final newline)"
            }
            (Quoting::Plain, _) => {
                "node (Node.js/TypeScript SDK 7-8: no quoting, no final newline)"
            }
            (Quoting::All, _) => "quoted (every field quoted, as the Java SDKs write)",
            (Quoting::Minimal, 9) => "python2 (Python SDK 2.x: 9 columns, user_mail)",
            (Quoting::Minimal, _) => "python (Python SDK 5-8)",
        }
    }
}

/// What a read of the file found.
pub struct Contents {
    /// `None` when the file is missing or empty.
    pub layout: Option<Layout>,
    /// Rows in file order.
    pub tokens: Vec<Token>,
}

/// How often, and after what pauses, a file that looks half-written is
/// read again before tokenstore believes it (about 0.6 s in all).
const SETTLE_PAUSES_MS: [u64; 8] = [5, 10, 20, 40, 80, 120, 150, 200];

/// Attempts at a whole read-change-write when the file changes under it.
pub(crate) const WRITE_ATTEMPTS: usize = 8;

pub struct FileStore {
    path: PathBuf,
    /// The layout a new file gets.
    flavor: Flavor,
    /// What the last read noticed (see [`Layout::notes`]).
    notes: Vec<String>,
}

impl FileStore {
    pub fn new(path: PathBuf) -> FileStore {
        FileStore {
            path,
            flavor: Flavor::Python,
            notes: Vec::new(),
        }
    }

    /// The layout a new file gets (an existing file keeps its own).
    pub fn with_flavor(mut self, flavor: Option<Flavor>) -> FileStore {
        self.flavor = flavor.unwrap_or(Flavor::Python);
        self
    }

    /// Opens the file to read, once it does not look half-written; a
    /// missing file is `None`.
    fn open_to_read(&self) -> Result<Option<File>> {
        let path = fsutil::resolve_store_path(&self.path)?;
        if wait_until_settled(&path) {
            return Err(half_written(&path, b""));
        }
        match File::open(&path) {
            Ok(f) => Ok(Some(f)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot open {}", self.path.display())),
        }
    }

    /// Streams the file's rows to `visit`; a missing file has none.
    fn stream(
        &mut self,
        visit: &mut dyn FnMut(RowRef<'_>) -> Result<()>,
    ) -> Result<Option<Layout>> {
        match self.open_to_read()? {
            Some(file) => self.stream_open(&file, visit),
            None => Ok(None),
        }
    }

    /// Streams the rows of the open file from its start.
    fn stream_open(
        &mut self,
        mut file: &File,
        visit: &mut dyn FnMut(RowRef<'_>) -> Result<()>,
    ) -> Result<Option<Layout>> {
        use std::io::{Seek, SeekFrom};
        file.seek(SeekFrom::Start(0))?;
        let layout = scan_rows(BufReader::with_capacity(1 << 16, file), visit)
            .with_context(|| format!("cannot read {}", self.path.display()))?;
        self.notes = layout.as_ref().map(|l| l.notes.clone()).unwrap_or_default();
        Ok(layout)
    }
}

impl FileStore {
    /// Streams a file found in id order; a row out of order means an
    /// application rewrote the file in place since (its rows were already
    /// partly listed, so this is an error, not a retry).
    fn stream_in_order(
        &mut self,
        file: &File,
        visit: &mut dyn FnMut(Token) -> Result<()>,
    ) -> Result<()> {
        let mut last: Option<String> = None;
        let path = self.path.clone();
        self.stream_open(file, &mut |row| {
            let id = row.fields()[0];
            if last.is_some() && compare_ids(last.as_deref(), id) == std::cmp::Ordering::Greater {
                return Err(changed_while_listed(&path));
            }
            let last = last.get_or_insert_with(String::new);
            last.clear();
            last.push_str(id.unwrap_or(""));
            visit(row.to_token())
        })?;
        Ok(())
    }
}

fn changed_while_listed(path: &Path) -> anyhow::Error {
    StoreError::Changed(format!(
        "{} changed while it was being listed (an application saved meanwhile); try again",
        path.display()
    ))
    .into()
}

/// Rows an unsorted file is listed in id order with, a pass over the file
/// each: bounds what `list` holds (about 25 MB) whatever the file's size.
const ROWS_PER_ORDERED_PASS: usize = 65_536;

/// Every id of a file in one buffer, for sorting the file's rows by id
/// without holding them.
#[derive(Default)]
struct IdArena {
    text: String,
    /// Per row in file order: where its id lies in `text`, or `None`.
    spans: Vec<Option<(u32, u32)>>,
}

impl IdArena {
    fn push(&mut self, id: Option<&str>) -> Result<()> {
        let span = match id {
            Some(id) => {
                let start = u32::try_from(self.text.len()).context("ids over 4 GiB")?;
                self.text.push_str(id);
                Some((start, id.len() as u32))
            }
            None => None,
        };
        self.spans.push(span);
        Ok(())
    }

    fn id(&self, row: usize) -> Option<&str> {
        self.spans[row].map(|(start, len)| &self.text[start as usize..(start + len) as usize])
    }

    /// Row numbers in id order (ties in file order).
    fn order(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.spans.len() as u32).collect();
        order.sort_by(|&a, &b| compare_ids(self.id(a as usize), self.id(b as usize)));
        order
    }
}

/// Whether a file's rows are in id order, judged from the bytes before
/// the first comma of each line: a quick read that lets `list` stream a
/// sorted file (as the SDKs and tokenstore write them) at once. `None`
/// when the file holds a quote or a lone `\r`, where a record is not
/// simply a line (the full reader decides then). Otherwise every reader
/// splits a line on commas, and its first field is the row's id. A big
/// file is read in stretches on every core.
fn ids_in_order_by_first_field(file: &File) -> Result<Option<bool>> {
    use std::os::unix::fs::FileExt;
    let len = file.metadata()?.len();
    // The first line tells the family, as in `scan_rows`: minimal quoting
    // reads the literal `null` as absent, the JavaScript readers keep it.
    let mut head = vec![0u8; 1 << 16];
    let n = file.read_at(&mut head, 0)?;
    let Some(first_line) = memchr::memchr(b'\n', &head[..n]) else {
        // One line, so no rows: unless it is all there is, or a lone `\r`
        // or a quote makes records of it, leave it to the full reader.
        let header_only = n < head.len() && memchr::memchr2(b'\r', b'"', &head[..n]).is_none();
        return Ok(header_only.then_some(true));
    };
    let header = head[..first_line]
        .strip_suffix(b"\r")
        .unwrap_or(&head[..first_line]);
    let header = header.strip_prefix(BOM).unwrap_or(header);
    let null_is_absent = !is_javascript_file(header, header);
    let stretches = match len {
        0..=0x7F_FFFF => 1, // under 8 MiB: not worth a thread
        _ => std::thread::available_parallelism().map_or(1, |n| n.get().min(4)),
    };
    in_id_order_in_stretches(file, len, stretches, null_is_absent)
}

/// [`ids_in_order_by_first_field`] in `stretches` parts read at once.
fn in_id_order_in_stretches(
    file: &File,
    len: u64,
    stretches: usize,
    null_is_absent: bool,
) -> Result<Option<bool>> {
    let parts = stretches as u64;
    let bounds: Vec<u64> = (0..=parts).map(|k| len * k / parts).collect();
    let stretches: Vec<Result<Stretch>> = std::thread::scope(|scope| {
        let others: Vec<_> = bounds[1..]
            .windows(2)
            .map(|w| scope.spawn(move || Stretch::read(file, w[0], w[1], null_is_absent)))
            .collect();
        let mut all = vec![Stretch::read(file, 0, bounds[1], null_is_absent)];
        all.extend(others.into_iter().map(|t| t.join().expect("no panic")));
        all
    });
    let mut last: Option<Vec<u8>> = None;
    for stretch in stretches {
        let stretch = stretch?;
        if !stretch.simple {
            return Ok(None);
        }
        let joined = match (&last, &stretch.first) {
            (Some(last), Some(first)) => compare_id_bytes(last, first) != Ordering::Greater,
            _ => true,
        };
        if !stretch.sorted || !joined {
            return Ok(Some(false));
        }
        last = stretch.last.or(last);
    }
    Ok(Some(true))
}

/// What the lines starting in one stretch of a file say about its order.
struct Stretch {
    /// No quote and no lone `\r`: each line is one record.
    simple: bool,
    /// The ids are in order (as far as read, when not `simple`).
    sorted: bool,
    first: Option<Vec<u8>>,
    last: Option<Vec<u8>>,
}

impl Stretch {
    /// Reads the lines that start in `from..to` (the one that starts at 0
    /// is the header), the last one to its end.
    fn read(file: &File, from: u64, to: u64, null_is_absent: bool) -> Result<Stretch> {
        use std::os::unix::fs::FileExt;
        let mut stretch = Stretch {
            simple: true,
            sorted: true,
            first: None,
            last: None,
        };
        let mut last: Vec<u8> = Vec::new();
        // Allocated (and zeroed) once: a store can be hundreds of MB.
        let mut buf = vec![0u8; 1 << 20];
        let mut kept = 0; // bytes of a line cut by the end of the last read
                          // From the byte before, so that a line starting at `from` is seen to.
        let mut at = from.saturating_sub(1);
        let mut skip_partial = from > 0;
        let mut header_read = from > 0;
        loop {
            if kept == buf.len() {
                buf.resize(buf.len() * 2, 0); // a line longer than the buffer
            }
            let n = loop {
                match file.read_at(&mut buf[kept..], at) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    read => break read.context("cannot read")?,
                }
            };
            let block_start = at - kept as u64; // the file offset of buf[0]
            at += n as u64;
            let filled = kept + n;
            let eof = n == 0;
            let end = match memchr::memrchr(b'\n', &buf[kept..filled]) {
                _ if eof => filled,
                Some(i) => kept + i + 1,
                None => {
                    kept = filled;
                    continue; // no whole line yet
                }
            };
            let block = &buf[..end];
            if memchr::memchr(b'"', block).is_some() {
                stretch.simple = false;
                return Ok(stretch);
            }
            // Every `\r` read must end a line (counted below): a lone one
            // ends a record for the CSV reader.
            let mut counted_from = 0;
            let mut line_end_crs = 0;
            let mut start = 0;
            let mut next_stretch = false;
            while start < block.len() {
                if block_start + start as u64 >= to && !skip_partial {
                    next_stretch = true; // the next stretch's lines
                    break;
                }
                let stop =
                    memchr::memchr(b'\n', &block[start..]).map_or(block.len(), |i| start + i);
                let mut line = &block[start..stop];
                start = stop + 1;
                if std::mem::take(&mut skip_partial) {
                    counted_from = start.min(block.len());
                    continue; // the previous stretch's line
                }
                if let Some(cut) = line.strip_suffix(b"\r") {
                    line = cut;
                    line_end_crs += 1;
                }
                if from == 0 && !header_read {
                    line = line.strip_prefix(BOM).unwrap_or(line);
                }
                if line.is_empty() {
                    continue; // every reader skips blank lines
                }
                if !header_read {
                    header_read = true;
                    continue;
                }
                let id = memchr::memchr(b',', line).map_or(line, |comma| &line[..comma]);
                let id: &[u8] = if null_is_absent && id == b"null" {
                    b""
                } else {
                    id
                };
                // (Out of order is a safe answer even before the `\r`
                // count: the full reader then decides.)
                if stretch.first.is_none() {
                    stretch.first = Some(id.to_vec());
                } else if compare_id_bytes(&last, id) == Ordering::Greater {
                    stretch.sorted = false;
                    return Ok(stretch);
                }
                last.clear();
                last.extend_from_slice(id);
            }
            let read = &block[counted_from..start.min(block.len())];
            if memchr::memchr_iter(b'\r', read).count() != line_end_crs {
                stretch.simple = false;
                return Ok(stretch);
            }
            if next_stretch {
                break;
            }
            if eof {
                break;
            }
            buf.copy_within(end..filled, 0);
            kept = filled - end;
        }
        if stretch.first.is_some() {
            stretch.last = Some(last);
        }
        Ok(stretch)
    }
}

/// An SDK FileStore rewrites its file in place (truncate, then write),
/// without a lock. A file that is empty, has no complete header line, or
/// (for the CRLF layout, which always ends in a newline) ends mid-line, may
/// be caught mid-rewrite: wait a little (bounded) until it looks whole.
/// Returns true when the file is still empty after the wait.
fn wait_until_settled(path: &Path) -> bool {
    let mut empty = false;
    for pause in SETTLE_PAUSES_MS {
        match peek(path) {
            Some((true, now_empty)) => {
                empty = now_empty;
                std::thread::sleep(Duration::from_millis(pause))
            }
            _ => return false,
        }
    }
    empty
}

/// Whether a file looks half-written, and whether it is empty, from its
/// first 64 KiB and its last byte (a store can be hundreds of MB).
fn peek(path: &Path) -> Option<(bool, bool)> {
    use std::io::{Seek, SeekFrom};
    let mut file = File::open(path).ok()?;
    let mut head = Vec::with_capacity(1 << 16);
    Read::by_ref(&mut file)
        .take(1 << 16)
        .read_to_end(&mut head)
        .ok()?;
    if head.len() < 1 << 16 {
        return Some((looks_half_written(&head), head.is_empty()));
    }
    let Some(first_newline) = head.iter().position(|&b| b == b'\n') else {
        return Some((true, false));
    };
    let header = &head[..first_newline];
    let crlf = header.ends_with(b"\r");
    let mut last = [0u8; 1];
    file.seek(SeekFrom::End(-1)).ok()?;
    file.read_exact(&mut last).ok()?;
    let javascript = is_javascript_file(header, &head);
    Some((crlf && last[0] != b'\n' && !javascript, false))
}

/// A file that still looks half-written after the wait: never taken for
/// an empty store or for the truth.
fn half_written(path: &Path, bytes: &[u8]) -> anyhow::Error {
    let what = if bytes.is_empty() {
        "is empty (0 bytes)".to_string()
    } else {
        let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
        format!("ends in the middle of line {lines}")
    };
    StoreError::Corrupt(format!(
        "{} {what}: an application may be rewriting it; nothing was changed (try again; if \
         it stays so, repair or remove the file)",
        path.display()
    ))
    .into()
}

fn looks_half_written(bytes: &[u8]) -> bool {
    let head = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let Some(first_newline) = head.iter().position(|&b| b == b'\n') else {
        // Empty, or no complete header line; but a JavaScript SDK writes a
        // store without tokens as its bare header, with no line break.
        return !is_javascript_file(head, head);
    };
    let header = &head[..first_newline];
    // The Python SDKs end every line, the last too, in CRLF; the
    // JavaScript ones never end the last line.
    let crlf = header.ends_with(b"\r");
    crlf && !head.ends_with(b"\n") && !is_javascript_file(header, head)
}

/// The whole file as read for a write.
struct ReadForWrite {
    layout: Option<Layout>,
    rows: Vec<Row>,
    stamp: Stamp,
    /// The file's text (when it is UTF-8), which the rows' sources point
    /// into and most rows share.
    text: Option<Arc<String>>,
}

/// Reads the whole file for a write, until two looks agree and it does
/// not look half-written (bounded).
fn read_for_write(path: &Path) -> Result<ReadForWrite> {
    let mut pauses = SETTLE_PAUSES_MS.iter();
    loop {
        let before = Stamp::of(path);
        let (bytes, text) = match fs::read(path).map(String::from_utf8) {
            Ok(Ok(text)) => (None, Some(Arc::new(text))),
            Ok(Err(not_utf8)) => (Some(not_utf8.into_bytes()), None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (None, None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let stable = Stamp::of(path) == before;
        let bytes = bytes.as_deref().or(text.as_deref().map(String::as_bytes));
        let mut rows = Vec::new();
        let parsed = match bytes {
            Some(bytes) => scan_rows(bytes, &mut |row| {
                rows.push(match &text {
                    Some(text) => row.to_row_in(text),
                    None => row.to_row(),
                });
                Ok(())
            }),
            None => Ok(None),
        }
        .map(|layout| (layout, rows));
        let suspicious = !stable || parsed.is_err() || bytes.is_some_and(looks_half_written);
        match pauses.next() {
            Some(pause) if suspicious => std::thread::sleep(Duration::from_millis(*pause)),
            _ => {
                if let Some(bytes) = bytes.filter(|b| looks_half_written(b)) {
                    return Err(half_written(path, bytes));
                }
                let (layout, rows) =
                    parsed.with_context(|| format!("cannot read {}", path.display()))?;
                return Ok(ReadForWrite {
                    layout,
                    rows,
                    stamp: before,
                    text,
                });
            }
        }
    }
}

/// Writes the transaction's table over the file when it commits.
struct FileSink {
    /// The resolved path (a symlink's target).
    path: PathBuf,
    layout: Layout,
    /// The file as read; the write is refused if it changed since.
    read_stamp: Stamp,
    /// Rows the file had before; later ones were added by this write.
    existing_slots: usize,
    /// The file as read, for writing unchanged rows back as they were.
    original: Option<Arc<String>>,
    lock: Option<WriterLock>,
    folders: CreatedFolders,
}

impl FileSink {
    fn release(&mut self) {
        if let Some(lock) = self.lock.take() {
            lock.release(&self.path);
        }
    }
}

impl TableSink for FileSink {
    fn commit(mut self: Box<Self>, mut table: TokenTable) -> Result<()> {
        // Existing rows keep their place; added ones follow in id order.
        table.sort_from(self.existing_slots);
        let layout = self.layout.clone();
        let read_stamp = self.read_stamp.clone();
        let path = self.path.clone();
        let written = fsutil::replace_file(
            &path,
            |out| {
                let original = self.original.as_deref().map_or(&b""[..], |t| t.as_bytes());
                let rows = table.rows().map(|r| {
                    let line = r.source().and_then(|(at, len)| {
                        original
                            .get(usize::try_from(at).ok()?..)?
                            .get(..len as usize)
                    });
                    (r.fields_or_empty(), r.extra(), line)
                });
                write_rows(out, &layout, rows)
            },
            || {
                if Stamp::of(&path) != read_stamp {
                    return Err(StoreError::Changed(format!(
                        "{} changed while tokenstore was writing it (an application saved \
                         meanwhile); nothing was written",
                        path.display()
                    ))
                    .into());
                }
                Ok(())
            },
        );
        match written {
            Ok(()) => self.folders.keep(),
            Err(_) => self.folders.remove(),
        }
        self.release();
        written
    }

    fn abort(mut self: Box<Self>) -> Result<()> {
        self.release();
        self.folders.remove();
        Ok(())
    }

    fn admit(&self, token: &Token) -> Result<()> {
        // The SDKs read their file with universal newlines (Python) or by
        // lines (Java, Node): a carriage return in a value comes back as a
        // line break, or splits the row. Rows already in the file are left
        // as they are; only what this write puts there is checked.
        let fields = token.fields();
        match Field::ALL
            .into_iter()
            .find(|f| fields[f.index()].is_some_and(|v| v.contains('\r')))
        {
            Some(field) => Err(refused(
                token.id.as_deref().unwrap_or("(new)"),
                field,
                "a carriage return, which the SDKs read back as a line break (a file store \
                 cannot keep it; a database store can)",
            )),
            None => Ok(()),
        }
    }
}

impl TokenStore for FileStore {
    fn scan(&mut self, visit: &mut dyn FnMut(Token) -> Result<()>) -> Result<()> {
        self.stream(&mut |row| visit(row.to_token())).map(|_| ())
    }

    /// A file already in id order (as the SDKs and tokenstore write them)
    /// is streamed as it is read, after a first pass that checks the
    /// order; another is listed in windows of its id order, a pass each,
    /// so memory stays bounded. Every pass reads the same open file.
    fn scan_in_id_order(&mut self, visit: &mut dyn FnMut(Token) -> Result<()>) -> Result<()> {
        let Some(file) = self.open_to_read()? else {
            return Ok(());
        };
        if ids_in_order_by_first_field(&file)? == Some(true) {
            return self.stream_in_order(&file, visit);
        }
        let mut ids = IdArena::default();
        let mut sorted = true;
        let mut last_id: Option<String> = None;
        self.stream_open(&file, &mut |row| {
            let id = row.fields()[0];
            let after_last = ids.spans.is_empty()
                || compare_ids(last_id.as_deref(), id) != std::cmp::Ordering::Greater;
            sorted &= after_last;
            if sorted {
                match (&mut last_id, id) {
                    (Some(last), Some(id)) => {
                        last.clear();
                        last.push_str(id);
                    }
                    (last, id) => *last = id.map(str::to_owned),
                }
            }
            ids.push(id)
        })?;
        if sorted {
            drop(ids);
            return self.stream_in_order(&file, visit);
        }
        // Each row's place in id order, then one pass per window of places.
        let order = ids.order();
        drop(ids);
        let mut place = vec![0u32; order.len()];
        for (at, &row) in order.iter().enumerate() {
            place[row as usize] = at as u32;
        }
        drop(order);
        let mut first = 0;
        while first < place.len() {
            let end = (first + ROWS_PER_ORDERED_PASS).min(place.len());
            let mut window: Vec<Option<Row>> = vec![None; end - first];
            let mut row_number = 0;
            self.stream_open(&file, &mut |row| {
                let at = place.get(row_number).copied().unwrap_or(u32::MAX) as usize;
                row_number += 1;
                if (first..end).contains(&at) {
                    window[at - first] = Some(row.to_row());
                }
                Ok(())
            })?;
            if row_number != place.len() || window.iter().any(Option::is_none) {
                return Err(changed_while_listed(&self.path));
            }
            for row in window.into_iter().flatten() {
                visit(row.to_token())?;
            }
            first = end;
        }
        Ok(())
    }

    fn find(&mut self, key: &MatchKey<'_>) -> Result<Option<Token>> {
        // Streams the file; only a better candidate is turned into a token.
        let mut best = BestMatch::new(key);
        self.stream(&mut |row| {
            best.offer(row.fields(), || row.to_token());
            Ok(())
        })?;
        Ok(best.finish())
    }

    fn begin_write(&mut self) -> Result<Box<dyn WriteTx + '_>> {
        let path = fsutil::resolve_store_path(&self.path)?;
        fsutil::refuse_hard_links(&path)?;
        let mut folders = CreatedFolders::default();
        folders.create_parents(&path)?;
        let lock = match WriterLock::acquire(&path) {
            Ok(lock) => lock,
            Err(e) => {
                folders.remove();
                return Err(e);
            }
        };
        fsutil::remove_stale_temps(&path, std::time::SystemTime::now());
        let read = match read_for_write(&path) {
            Ok(read) => read,
            Err(e) => {
                lock.release(&path);
                folders.remove();
                return Err(e);
            }
        };
        let table = TokenTable::from_rows(read.rows);
        let sink = FileSink {
            path,
            layout: read
                .layout
                .unwrap_or_else(|| Layout::for_flavor(self.flavor)),
            read_stamp: read.stamp,
            existing_slots: table.slots(),
            original: read.text,
            lock: Some(lock),
            folders,
        };
        Ok(Box::new(TableTx::new(table, Box::new(sink))))
    }

    fn exists(&mut self) -> Result<bool> {
        Ok(fsutil::resolve_store_path(&self.path)?.exists())
    }

    fn size_hint(&mut self) -> Result<Option<u64>> {
        // Lines after the header (a value with a line break counts twice).
        let path = fsutil::resolve_store_path(&self.path)?;
        let Ok(file) = File::open(&path) else {
            return Ok(None);
        };
        let mut reader = BufReader::with_capacity(1 << 16, file);
        let (mut lines, mut last) = (0u64, b'\n');
        loop {
            let buf = std::io::BufRead::fill_buf(&mut reader)?;
            let Some(&end) = buf.last() else { break };
            lines += buf.iter().filter(|&&b| b == b'\n').count() as u64;
            last = end;
            let n = buf.len();
            std::io::BufRead::consume(&mut reader, n);
        }
        Ok(Some((lines + u64::from(last != b'\n')).saturating_sub(1)))
    }

    fn notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    fn identity(&mut self) -> Result<Option<String>> {
        let path = fsutil::resolve_store_path(&self.path)?;
        Ok(Some(fsutil::file_identity(&path)))
    }

    fn describe(&mut self) -> Result<Details> {
        let mut details = Details::default();
        details
            .facts
            .push(("file".into(), absolute(&self.path).display().to_string()));
        details.warnings.extend(permission_warning(&self.path));
        // A malformed file is reported by `info` itself, as it counts.
        let mut rows = Vec::new();
        let Ok(layout) = self.stream(&mut |row| {
            rows.push(row.to_row());
            Ok(())
        }) else {
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
            .push(("flavor".into(), layout.flavor_name().into()));
        details
            .facts
            .push(("header".into(), layout.labels.join(",")));
        details
            .facts
            .push(("columns".into(), layout.labels.len().to_string()));
        let ends = if layout.crlf { "CRLF" } else { "LF" };
        details.facts.push(("lines".into(), ends.into()));
        details.warnings.extend(layout.notes.iter().cloned());
        if layout.labels.len() == 9 {
            details.warnings.push(
                "9-column (SDK 2.x) file: it stays 9 columns, so tokens with an api_domain \
                 cannot be saved into it"
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
    visit: &mut dyn FnMut(RowRef<'_>) -> Result<()>,
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
    let header_end = head[start..].iter().position(|&b| b == b'\n');
    let crlf = header_end.is_some_and(|i| i > 0 && head[start + i - 1] == b'\r');
    let header = &head[start..start + header_end.unwrap_or(head.len() - start)];
    let quoting = if header.first() == Some(&b'"') {
        Quoting::All
    } else if is_javascript_file(header, &head[start..]) {
        Quoting::Plain
    } else {
        Quoting::Minimal
    };
    let last_byte = std::rc::Rc::new(std::cell::Cell::new(None));
    let input = LastByte {
        inner: std::io::Cursor::new(head).chain(input),
        last: last_byte.clone(),
    };
    if quoting == Quoting::Plain {
        return scan_plain(input, bom, crlf, visit);
    }
    let mut state = CsvState {
        layout: None,
        bom,
        crlf,
        quoting,
    };
    if quoting == Quoting::Minimal {
        scan_simple(input, &mut state, visit)?;
    } else {
        scan_quoted(input, &mut state, 1, visit)?;
    }
    let mut layout = state.layout;
    if let Some(layout) = &mut layout {
        layout.final_newline = last_byte.get().is_none_or(|b| b == b'\n');
    }
    Ok(layout)
}

/// What the two CSV readers share: how the file looks, and its layout
/// once the header is read.
struct CsvState {
    layout: Option<Layout>,
    bom: bool,
    crlf: bool,
    quoting: Quoting,
}

impl CsvState {
    /// Takes one record: the header, or a row for `visit`.
    fn record(
        &mut self,
        line: u64,
        fields: &mut TextFields<'_>,
        source: Option<(u64, u32)>,
        visit: &mut dyn FnMut(RowRef<'_>) -> Result<()>,
    ) -> Result<()> {
        let Some(layout) = &self.layout else {
            if fields.len() != 9 && fields.len() != 10 {
                return Err(corrupt(
                    line,
                    &format!(
                        "the header has {} columns, expected 10 (or 9 in 2.x stores)",
                        fields.len()
                    ),
                ));
            }
            if !fields.first[0].trim().eq_ignore_ascii_case("id") {
                return Err(corrupt(
                    line,
                    "expected a header line starting with `id`; this is not a token file",
                ));
            }
            self.layout = Some(Layout {
                labels: fields.iter().map(|f| f.to_string()).collect(),
                crlf: self.crlf,
                bom: self.bom,
                quoting: self.quoting,
                final_newline: true,
                notes: Vec::new(),
            });
            return Ok(());
        };
        // A 2.x SDK appends 9-field rows even to a 10-column file: they
        // are read as it reads them, api_domain absent.
        let width = layout.labels.len();
        if fields.len() != width && !(width == 10 && fields.len() == 9) {
            return Err(corrupt(
                line,
                &format!("{} fields, expected {width} like the header", fields.len()),
            ));
        }
        // Scala's FileStore writes the literal `null` for absent.
        for value in fields.first.iter_mut().filter(|v| **v == "null") {
            *value = "";
        }
        visit(RowRef {
            fields: &fields.first[..fields.len()],
            extra: "",
            source,
        })
    }
}

/// Reads a file with minimal quoting, fast where it can: a block (1 MiB of
/// whole lines) with no quote, no lone `\r`, no NUL and valid UTF-8 — as
/// good as every block of an SDK's store — is split on line breaks and
/// commas. From the first block that is not so, the full CSV reader takes
/// over (it also names the line and field of what is wrong).
fn scan_simple<R: Read>(
    mut input: R,
    state: &mut CsvState,
    visit: &mut dyn FnMut(RowRef<'_>) -> Result<()>,
) -> Result<()> {
    const BLOCK: usize = 1 << 20;
    let mut buf: Vec<u8> = Vec::with_capacity(BLOCK);
    // The number of the line at the start of `buf`, and its offset.
    let mut line = 1u64;
    let mut offset = 0u64;
    loop {
        // Top the buffer up to a block (more when one line is longer).
        let kept = buf.len();
        let want = BLOCK.max(kept * 2);
        buf.resize(want, 0);
        let mut filled = kept;
        while filled < want {
            match input.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e).context("cannot read"),
            }
        }
        buf.truncate(filled);
        let eof = filled < want;
        let end = if eof {
            buf.len()
        } else {
            match memchr::memrchr(b'\n', &buf) {
                Some(i) => i + 1,
                None => continue, // no whole line yet
            }
        };
        let Some(text) = simple_text(&buf[..end]) else {
            let rest = std::io::Cursor::new(buf).chain(input);
            return scan_quoted(rest, state, line, visit);
        };
        // One pass over the commas and line breaks of the block.
        let mut fields = TextFields::default();
        let mut field_start = 0;
        let mut line_start = 0;
        let stops = memchr::memchr2_iter(b',', b'\n', text.as_bytes());
        // A last line without a line break ends at the end of the block.
        let last = (!text.ends_with('\n') && !text.is_empty()).then_some(text.len());
        for stop in stops.chain(last) {
            let at_line_end = stop == text.len() || text.as_bytes()[stop] == b'\n';
            let mut field = &text[field_start..stop];
            if at_line_end {
                field = field.strip_suffix('\r').unwrap_or(field);
            }
            if fields.count == 0 && line == 1 && state.bom {
                field = field.strip_prefix('\u{feff}').unwrap_or(field);
            }
            if let Some(slot) = fields.first.get_mut(fields.count) {
                *slot = field;
            }
            fields.count += 1;
            field_start = stop + 1;
            if at_line_end {
                // The CSV reader (like Python's) skips blank lines.
                let blank = fields.count == 1 && fields.first[0].is_empty();
                if !blank {
                    let text_end = if text[..stop].ends_with('\r') {
                        stop - 1
                    } else {
                        stop
                    };
                    let source = u32::try_from(text_end - line_start)
                        .ok()
                        .map(|len| (offset + line_start as u64, len));
                    state.record(line, &mut fields, source, visit)?;
                }
                fields = TextFields::default();
                line += 1;
                line_start = stop + 1;
            }
        }
        if eof {
            return Ok(());
        }
        buf.drain(..end);
        offset += end as u64;
    }
}

/// `block` as text when plain splitting reads it as the CSV rules do.
fn simple_text(block: &[u8]) -> Option<&str> {
    if memchr::memchr2(b'"', 0, block).is_some() {
        return None;
    }
    // A `\r` ends a record only with its `\n`; a lone one needs the rules.
    let lone_cr = memchr::memchr_iter(b'\r', block).any(|i| block.get(i + 1) != Some(&b'\n'));
    if lone_cr {
        return None;
    }
    std::str::from_utf8(block).ok()
}

/// The full RFC 4180 reader, from line `first_line` of the file on.
fn scan_quoted<R: Read>(
    input: R,
    state: &mut CsvState,
    first_line: u64,
    visit: &mut dyn FnMut(RowRef<'_>) -> Result<()>,
) -> Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut record = csv::ByteRecord::new();
    let mut records = 0u64;
    // The csv crate ends a CRLF record at its `\r` and counts the `\n`
    // only when it reads the next one: every record after this reader's
    // first starts one line later than it says.
    let crlf = state.crlf;
    let file_line =
        |csv_line: u64, records: u64| csv_line + first_line - 1 + u64::from(crlf && records > 0);
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(e) => {
                let line = file_line(error_line(&e).unwrap_or(line), records);
                return Err(corrupt(line, &csv_reason(&e)));
            }
        }
        let line = file_line(record.position().map_or(line, |p| p.line()), records);
        let strip_bom = state.bom && first_line == 1 && records == 0;
        records += 1;
        let mut fields =
            text_fields(&record, strip_bom).map_err(|reason| corrupt(line, &reason))?;
        state.record(line, &mut fields, None, visit)?;
    }
}

/// A reader that remembers the last byte it handed out.
struct LastByte<R> {
    inner: R,
    last: std::rc::Rc<std::cell::Cell<Option<u8>>>,
}

impl<R: Read> Read for LastByte<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.last.set(Some(buf[n - 1]));
        }
        Ok(n)
    }
}

/// The Node.js/TypeScript FileStores write a plain header with
/// `redirect_url` (the Python ones say `redirect_uri`, Java quotes it).
/// A file with no RFC 4180 quoted field in `head`: Ruby's and PHP's
/// FileStores also say `redirect_url` but quote values that need it.
fn is_javascript_file(header: &[u8], head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(header);
    let labels: Vec<&str> = text.trim_end_matches('\r').split(',').collect();
    let quoted_field = head.windows(2).any(|w| w == b",\"" || w == b"\n\"");
    (labels.len() == 9 || labels.len() == 10)
        && labels[0].trim().eq_ignore_ascii_case("id")
        && labels[8].trim().eq_ignore_ascii_case("redirect_url")
        && !quoted_field
}

/// Reads a JavaScript-family file as its SDK does: each line split on
/// `,`, fields taken by position. A row with more fields than the header
/// (a value held a comma) is read the same way, cut, and noted.
fn scan_plain<R: Read>(
    input: LastByte<R>,
    bom: bool,
    crlf: bool,
    visit: &mut dyn FnMut(RowRef<'_>) -> Result<()>,
) -> Result<Option<Layout>> {
    use std::io::BufRead;
    let last = input.last.clone();
    let mut reader = std::io::BufReader::with_capacity(1 << 16, input);
    let mut layout: Option<Layout> = None;
    let mut bytes = Vec::new();
    let mut line = 0u64;
    let mut next_offset = 0u64;
    loop {
        bytes.clear();
        let offset = next_offset;
        let read = reader
            .read_until(b'\n', &mut bytes)
            .context("cannot read")?;
        if read == 0 {
            break;
        }
        next_offset += read as u64;
        line += 1;
        let mut text = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
        text = text.strip_suffix(b"\r").unwrap_or(text);
        if line == 1 && bom {
            text = text.strip_prefix(BOM).unwrap_or(text);
        }
        if text.contains(&0) {
            return Err(corrupt(
                line,
                "contains a NUL byte; this is not a text file",
            ));
        }
        let text = std::str::from_utf8(text).map_err(|_| corrupt(line, "is not valid UTF-8"))?;
        if text.is_empty() {
            continue; // Node 8 skips blank lines (Node 2 would throw)
        }
        let fields: Vec<&str> = text.split(',').collect();
        match &mut layout {
            None => {
                layout = Some(Layout {
                    labels: fields.iter().map(|f| f.to_string()).collect(),
                    crlf,
                    bom,
                    quoting: Quoting::Plain,
                    final_newline: true,
                    notes: Vec::new(),
                });
            }
            Some(l) => {
                let width = l.labels.len();
                if fields.len() > width {
                    l.notes.push(format!(
                        "line {line} has {} fields for {width} columns: a value held a comma, \
                         and the SDK (like tokenstore) reads the fields by position, so this \
                         token's later fields are cut or shifted",
                        fields.len()
                    ));
                } else if fields.len() < width && !(width == 10 && fields.len() == 9) {
                    l.notes.push(format!(
                        "line {line} has {} fields for {width} columns; the missing ones are \
                         read as absent",
                        fields.len()
                    ));
                }
                let n = fields.len().min(width);
                // Keep what lies past the last column, to write it back.
                let extra = if fields.len() > width {
                    let kept: usize = fields[..width].iter().map(|f| f.len() + 1).sum();
                    &text[kept - 1..]
                } else {
                    ""
                };
                visit(RowRef {
                    fields: &fields[..n],
                    extra,
                    source: u32::try_from(text.len()).ok().map(|len| (offset, len)),
                })?;
            }
        }
    }
    if let Some(layout) = &mut layout {
        layout.final_newline = last.get().is_none_or(|b| b == b'\n');
    }
    Ok(layout)
}

fn corrupt(line: u64, reason: &str) -> anyhow::Error {
    StoreError::Corrupt(format!("line {line}: {reason}")).into()
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
pub fn write_csv<W: Write + ?Sized>(out: &mut W, layout: &Layout, tokens: &[Token]) -> Result<()> {
    write_rows(
        out,
        layout,
        tokens.iter().map(|t| (t.fields_or_empty(), "", None)),
    )
}

/// A row to write: its fields, what a JavaScript-family line held past
/// its last column, and the line as the file had it when it is unchanged.
type RowOut<'a> = ([&'a str; 10], &'a str, Option<&'a [u8]>);

/// Writes the header and rows as the layout's SDK writes them. A row the
/// file already held unchanged is written as the bytes it had (a file
/// save rewrites every row; most are only carried through).
fn write_rows<'a, W: Write + ?Sized>(
    out: &mut W,
    layout: &Layout,
    rows: impl Iterator<Item = RowOut<'a>>,
) -> Result<()> {
    let width = layout.labels.len();
    let check = |fields: &[&str; 10]| -> Result<()> {
        // The SDKs (and this reader) take a NUL byte to mean "not text".
        if let Some(f) = Field::ALL
            .into_iter()
            .find(|f| fields[f.index()].contains('\0'))
        {
            return Err(refused(
                fields[0],
                f,
                "a NUL character, which a token file cannot hold",
            ));
        }
        if width == 9 && !fields[9].is_empty() {
            return Err(StoreError::Refused(format!(
                "token {} has an api_domain, which this 9-column (SDK 2.x) file cannot hold; \
                 nothing was written",
                fields[0]
            ))
            .into());
        }
        if layout.quoting == Quoting::Plain {
            // Quotes are kept literally, as the SDK reads them.
            let bad = Field::ALL
                .into_iter()
                .find(|f| fields[f.index()].contains([',', '\n', '\r']));
            if let Some(f) = bad {
                return Err(refused(
                    fields[0],
                    f,
                    "a comma or line break, which a Node.js/TypeScript SDK file cannot hold \
                     (its SDK splits lines on commas)",
                ));
            }
        }
        Ok(())
    };
    if layout.bom {
        out.write_all(BOM)?;
    }
    let newline: &[u8] = if layout.crlf { b"\r\n" } else { b"\n" };
    if layout.quoting == Quoting::Plain {
        // As the JavaScript SDKs write: joined with commas, rows joined
        // with line breaks, and a final one only if the file had one.
        out.write_all(layout.labels.join(",").as_bytes())?;
        for (fields, extra, original) in rows {
            out.write_all(newline)?;
            if let Some(line) = original {
                out.write_all(line)?;
                continue;
            }
            check(&fields)?;
            out.write_all(fields[..width].join(",").as_bytes())?;
            out.write_all(extra.as_bytes())?;
        }
        // Node 2.x appends "\n" + row and throws on a blank line: its files
        // never end in a line break, whatever the file had.
        if layout.final_newline && width == 10 {
            out.write_all(newline)?;
        }
        return Ok(());
    }
    let mut builder = csv::WriterBuilder::new();
    builder
        .terminator(if layout.crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .quote_style(if layout.quoting == Quoting::All {
            csv::QuoteStyle::Always
        } else {
            csv::QuoteStyle::Necessary
        });
    // Rows that need writing go through a csv writer into memory, a run
    // at a time; each run goes out before a row written as it was.
    type Run = Option<csv::Writer<Vec<u8>>>;
    fn finish<W: Write + ?Sized>(run: &mut Run, out: &mut W, spare: &mut Vec<u8>) -> Result<()> {
        if let Some(writer) = run.take() {
            let mut bytes = writer.into_inner().map_err(|e| e.into_error())?;
            out.write_all(&bytes)?;
            bytes.clear();
            *spare = bytes;
        }
        Ok(())
    }
    let mut spare = Vec::with_capacity(1 << 16);
    let mut run: Run = Some(builder.from_writer(std::mem::take(&mut spare)));
    if let Some(writer) = &mut run {
        writer.write_record(&layout.labels)?;
    }
    for (fields, _, original) in rows {
        match original {
            Some(line) => {
                finish(&mut run, out, &mut spare)?;
                out.write_all(line)?;
                out.write_all(newline)?;
            }
            None => {
                check(&fields)?;
                let writer =
                    run.get_or_insert_with(|| builder.from_writer(std::mem::take(&mut spare)));
                writer.write_record(&fields[..width])?;
                if writer.get_ref().len() >= 1 << 16 {
                    finish(&mut run, out, &mut spare)?;
                }
            }
        }
    }
    finish(&mut run, out, &mut spare)
}

fn refused(id: &str, field: Field, what: &str) -> anyhow::Error {
    StoreError::Refused(format!(
        "the {} of token {id} holds {what}; nothing was written",
        field.name()
    ))
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Contents> {
        read_csv(text.as_bytes())
    }

    proptest::proptest! {
        /// The quick order check of `list` agrees with the full reader on
        /// every file it answers for (and answers for every file without
        /// quotes), however the file is cut into stretches.
        #[test]
        fn the_quick_order_check_agrees_with_the_full_reader(
            node in proptest::bool::ANY,
            crlf in proptest::bool::ANY,
            bom in proptest::bool::ANY,
            final_newline in proptest::bool::ANY,
            rows in proptest::collection::vec((0..12usize, 0..12usize, 0..3usize), 0..40),
            stretches in 1..7usize,
        ) {
            const IDS: [&str; 12] = ["1", "2", "3", "10", "02", "0", "null", "", "a", "b", "zz", "1 "];
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut labels = NEW_FILE_HEADER.join(",");
            if node {
                labels = labels.replace("redirect_uri", "redirect_url");
            }
            let mut text = String::from(if bom { "\u{feff}" } else { "" });
            text.push_str(&labels);
            let mut quoted = false;
            for (id, value, separator) in &rows {
                match separator {
                    0 => text.push_str(&eol.repeat(2)), // a blank line
                    1 => { quoted = true; text.push('\r') } // a lone `\r`
                    _ => text.push_str(eol),
                }
                let value = match value {
                    0 if !node => { quoted = true; "\"x,\n0,y\"" }
                    _ => "u",
                };
                text.push_str(&format!("{},{value},,,,a,,,,", IDS[*id]));
            }
            if final_newline {
                text.push_str(eol);
            }
            let mut file = tempfile::tempfile().unwrap();
            file.write_all(text.as_bytes()).unwrap();
            let Ok(contents) = read_csv(text.as_bytes()) else {
                return Ok(());
            };
            let sorted = contents.tokens.windows(2).all(|w| {
                compare_ids(w[0].id.as_deref(), w[1].id.as_deref()) != Ordering::Greater
            });
            let null_is_absent = !node;
            let quick = in_id_order_in_stretches(&file, text.len() as u64, stretches, null_is_absent)
                .unwrap();
            // "In order" must be right: `list` then streams the file as
            // it is. "Not in order" (or no answer) hands the file to the
            // full reader, so it is safe, and for a file whose records
            // are its lines (no quote, no lone `\r`) it must be right too.
            let agrees = |answer: Option<bool>| match answer {
                Some(true) => sorted,
                Some(false) => quoted || !sorted,
                None => quoted,
            };
            proptest::prop_assert!(agrees(quick), "{quick:?} {sorted} {text:?}");
            // The whole check, as `list` calls it, reads the family itself.
            let whole = ids_in_order_by_first_field(&file).unwrap();
            proptest::prop_assert!(agrees(whole), "{whole:?} {sorted} {text:?}");
        }
    }

    /// The pass that streams a file found in order checks the order again:
    /// an SDK that rewrote the file in place between the passes must not
    /// make `list` print tokens out of order without saying so.
    #[test]
    fn a_file_out_of_order_by_the_time_it_is_streamed_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        let header = NEW_FILE_HEADER.join(",");
        std::fs::write(&path, format!("{header}\n2,b,,,,a,,,,\n1,a,,,,a,,,,\n")).unwrap();
        let mut store = FileStore::new(path.clone());
        let file = File::open(&path).unwrap();
        let mut listed = Vec::new();
        let err = store
            .stream_in_order(&file, &mut |t| {
                listed.push(t.id.unwrap());
                Ok(())
            })
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("changed while it was being listed"),
            "{err:#}"
        );
        assert_eq!(listed, ["2"]);
    }

    #[test]
    fn the_quick_order_check_reads_lines_longer_than_its_buffer() {
        let long = "v".repeat(3 << 20);
        for (ids, sorted) in [(["2", "10", "11"], true), (["2", "11", "10"], false)] {
            let mut text = NEW_FILE_HEADER.join(",");
            for id in ids {
                text.push_str(&format!("\n{id},{long},,,,a,,,,"));
            }
            let mut file = tempfile::tempfile().unwrap();
            file.write_all(text.as_bytes()).unwrap();
            for stretches in 1..5 {
                let quick = in_id_order_in_stretches(&file, text.len() as u64, stretches, true);
                assert_eq!(quick.unwrap(), Some(sorted), "{ids:?} in {stretches}");
            }
        }
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
        // The Python SDKs write CRLF: the lines counted are the file's.
        let row = "1,2,3,4,5,6,7,8,9,10\r\n";
        for (text, line) in [
            (format!("id,a,b,c,d,e,f,g,h,i\r\n{row}1,2\r\n"), "line 3:"),
            (
                format!("id,a,b,c,d,e,f,g,h,i\r\n{row}{row}1,\0\r\n"),
                "line 4:",
            ),
            ("id,a,b,c,d,e,f,g,h,i\r\n1,2\r\n".to_string(), "line 2:"),
        ] {
            let err = parse(&text).err().unwrap();
            assert!(format!("{err:#}").contains(line), "{line} {err:#}");
        }
    }

    #[test]
    fn a_quote_past_the_first_block_hands_over_to_the_full_reader() {
        // About 2.5 MiB: the fast reader's blocks, then the CSV rules from
        // the block with the quoted value on, lines still counted right.
        for newline in ["\n", "\r\n"] {
            let mut text = format!("id,a,b,c,d,e,f,g,h,i{newline}");
            for n in 1..=30_000 {
                let user = match n {
                    25_000 => "\"Smith, \"\"J\"\"\"".to_string(),
                    _ => format!("user{n}@example.com"),
                };
                text += &format!(
                    "{n},{user},c,s,1000.rt.{n}.rrrrrrrrrrrrrrrrrrrrrrrrrrrrrr,at,,1,,{newline}"
                );
            }
            let contents = parse(&text).unwrap();
            assert_eq!(contents.tokens.len(), 30_000);
            assert_eq!(
                contents.tokens[24_999].user_name.as_deref(),
                Some("Smith, \"J\"")
            );
            assert_eq!(
                contents.tokens[29_999].user_name.as_deref(),
                Some("user30000@example.com")
            );
            assert_eq!(contents.layout.unwrap().crlf, newline == "\r\n");
            // A short row after the quote: named by its line in the file.
            let broken = format!("{text}1,2{newline}");
            let err = parse(&broken).err().unwrap();
            assert!(
                format!("{err:#}").contains("line 30002:"),
                "{newline:?} {err:#}"
            );
            // And before it, in a fast block.
            let broken = text.replacen("\n7,", "\n7,x\n8,", 1);
            let err = parse(&broken).err().unwrap();
            assert!(
                format!("{err:#}").contains("line 8:"),
                "{newline:?} {err:#}"
            );
        }
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
