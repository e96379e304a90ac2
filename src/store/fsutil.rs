//! File-system steps that the file and SQLite stores share: resolving a
//! store path once, refusing paths that cannot be a store, private
//! folders that are removed again when a write that made them fails, the
//! bounded writer lock beside a file, and atomic replacement.

use std::fs::{self, File};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::StoreError;

/// How long a writer waits for another tokenstore writer.
pub const LOCK_WAIT: Duration = Duration::from_secs(30);

/// Resolves a store path once: a symlink (or a chain of them) becomes the
/// file it points to, so a write replaces the target and keeps the link.
/// Refuses a link owned by someone else in a sticky world-writable folder
/// (as the kernel's protected_symlinks does), and anything but a regular
/// file (a folder, device, FIFO or socket). A missing file is fine.
pub fn resolve_store_path(path: &Path) -> Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        let meta = match fs::symlink_metadata(&current) {
            Ok(meta) => meta,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(current),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot look at {}", current.display()))
            }
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            refuse_planted_link(&current, &meta)?;
            let target = fs::read_link(&current)
                .with_context(|| format!("cannot read the link {}", current.display()))?;
            current = match current.parent() {
                Some(parent) if target.is_relative() => parent.join(target),
                _ => target,
            };
            continue;
        }
        if !kind.is_file() {
            return Err(StoreError::BadPath(format!(
                "{} is {}, not a store file",
                path.display(),
                describe_kind(&meta)
            ))
            .into());
        }
        return Ok(current);
    }
    Err(StoreError::BadPath(format!(
        "{}: too many levels of symbolic links",
        path.display()
    ))
    .into())
}

fn describe_kind(meta: &fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    if meta.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// A symlink in a sticky, world-writable folder (like /tmp) that belongs
/// to neither the folder's owner nor us may have been planted to make us
/// write elsewhere.
fn refuse_planted_link(link: &Path, meta: &fs::Metadata) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let Ok(folder) = fs::metadata(folder_of(link)) else {
            return Ok(());
        };
        let sticky_world_writable = folder.mode() & 0o1002 == 0o1002;
        let me = effective_uid();
        if sticky_world_writable && meta.uid() != folder.uid() && meta.uid() != me {
            return Err(StoreError::BadPath(format!(
                "{} is a symbolic link owned by another user in a shared folder; \
                 refusing to follow it (point --store at the real file)",
                link.display()
            ))
            .into());
        }
    }
    Ok(())
}

/// The effective user id, read from /proc to avoid an unsafe libc call.
#[cfg(unix)]
fn effective_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(0)
}

/// Refuses to replace a file with more than one name: the rename would
/// leave the other names holding the old tokens.
pub fn refuse_hard_links(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(meta) = fs::metadata(path) {
            if meta.nlink() > 1 {
                return Err(StoreError::BadPath(format!(
                    "{} has {} hard links; replacing it would leave the other names with the \
                     old tokens, so tokenstore does not write it (remove the extra links, or \
                     write through the one name the application uses after removing the others)",
                    path.display(),
                    meta.nlink()
                ))
                .into());
            }
        }
    }
    Ok(())
}

/// Folders created for a store, removed again (when still empty) if the
/// write that made them fails.
#[derive(Default)]
pub struct CreatedFolders(Vec<PathBuf>);

impl CreatedFolders {
    /// Creates the missing folders on the way to `path`, private (0700).
    pub fn create_parents(&mut self, path: &Path) -> Result<()> {
        let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
            return Ok(());
        };
        let mut missing = Vec::new();
        let mut at = Some(parent);
        while let Some(dir) = at.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
            missing.push(dir.to_path_buf());
            at = dir.parent();
        }
        for dir in missing.into_iter().rev() {
            let mut builder = fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            match builder.create(&dir) {
                Ok(()) => self.0.push(dir),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("cannot create folder {}", dir.display()))
                }
            }
        }
        Ok(())
    }

    /// Removes the folders made, innermost first, if nothing else is in them.
    pub fn remove(&mut self) {
        for dir in self.0.drain(..).rev() {
            let _ = fs::remove_dir(dir);
        }
    }

    /// Keeps the folders: the write that made them succeeded.
    pub fn keep(&mut self) {
        self.0.clear();
    }
}

/// The exclusive lock on `PATH.lock` that serialises tokenstore writers
/// of one file store. Created 0600 (owned like the store when root makes
/// it); removed again by the holder that created it if the store was not
/// created in the end.
pub struct WriterLock {
    file: File,
    path: PathBuf,
    created: bool,
}

impl WriterLock {
    pub fn lock_path(store: &Path) -> PathBuf {
        let mut name = store.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        store.with_file_name(name)
    }

    /// Takes the lock, waiting at most [`LOCK_WAIT`].
    pub fn acquire(store: &Path) -> Result<WriterLock> {
        let path = Self::lock_path(store);
        let started = Instant::now();
        loop {
            let (file, created) = open_lock_file(&path, store)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => {
                    if started.elapsed() >= LOCK_WAIT {
                        return Err(StoreError::Busy(format!(
                            "another tokenstore process has held {} for {} s; try again later",
                            path.display(),
                            LOCK_WAIT.as_secs()
                        ))
                        .into());
                    }
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
                Err(fs::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("cannot lock {}", path.display()))
                }
            }
            // The holder before us may have removed the lock file it had
            // created; a lock on a removed file serialises nothing.
            if same_file(&file, &path) {
                return Ok(WriterLock {
                    file,
                    path,
                    created,
                });
            }
        }
    }

    /// Removes the lock file if this writer created it and the store does
    /// not exist (a failed or empty first write leaves nothing behind).
    /// Done while holding the lock; later writers re-check the file.
    pub fn release(self, store: &Path) {
        if self.created && !store.exists() {
            let _ = fs::remove_file(&self.path);
        }
        drop(self.file);
    }
}

fn open_lock_file(path: &Path, store: &Path) -> Result<(File, bool)> {
    if let Ok(meta) = fs::symlink_metadata(path) {
        if !meta.file_type().is_file() {
            return Err(StoreError::BadPath(format!(
                "{} is {}, not a lock file; remove it",
                path.display(),
                describe_kind(&meta)
            ))
            .into());
        }
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(file) => {
            give_to_store_owner(path, store);
            Ok((file, true))
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            let file = fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("cannot open lock file {}", path.display()))?;
            Ok((file, false))
        }
        Err(e) => Err(e).with_context(|| format!("cannot create lock file {}", path.display())),
    }
}

/// A file root creates beside another user's store goes to that user, so
/// the application can still take the lock.
fn give_to_store_owner(path: &Path, store: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(meta) = fs::metadata(store) {
            let _ = std::os::unix::fs::chown(path, Some(meta.uid()), Some(meta.gid()));
        }
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> bool {
    path.exists()
}

/// What identifies the file at a path: device, inode, size and change
/// time. A file rewritten in place or replaced since it was read differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp(Option<(u64, u64, u64, i64, i64)>);

impl Stamp {
    pub fn of(path: &Path) -> Stamp {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Stamp(
                fs::metadata(path)
                    .ok()
                    .map(|m| (m.dev(), m.ino(), m.size(), m.mtime(), m.mtime_nsec())),
            )
        }
        #[cfg(not(unix))]
        {
            Stamp(fs::metadata(path).ok().map(|m| (0, 0, m.len(), 0, 0)))
        }
    }

    /// Device and inode, for telling whether two names are one file.
    pub fn identity(&self) -> Option<String> {
        self.0.map(|(dev, ino, ..)| format!("{dev}:{ino}"))
    }
}

/// The folder a store file lives in.
pub fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Makes a new name in the folder durable (after a rename or link).
pub fn sync_folder_of(path: &Path) {
    if let Ok(d) = File::open(folder_of(path)) {
        let _ = d.sync_all();
    }
}

/// What identifies a store file for "the same store by another name":
/// device and inode, or the absolute path of a file not there yet.
pub fn file_identity(path: &Path) -> String {
    match Stamp::of(path).identity() {
        Some(inode) => format!("file {inode}"),
        None => format!("file {}", super::absolute(path).display()),
    }
}

/// The prefix of the temporary files made for one store, so the next
/// writer of that store (and only of that store) can tell them apart.
fn temp_prefix(path: &Path) -> String {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    format!(".tokenstore-{name}-")
}

/// Creates a temporary file (0600) beside `path`, removed on SIGINT or
/// SIGTERM; the caller removes or renames it. Returns its path.
pub fn temp_beside(path: &Path, suffix: &str) -> Result<PathBuf> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = folder_of(path);
    loop {
        // Named by process id, and registered before it exists, so an
        // interruption at any moment leaves nothing behind.
        let name = format!(
            "{}{}-{}{suffix}",
            temp_prefix(path),
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let temp = dir.join(name);
        cleanup::register(&temp);
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&temp) {
            Ok(_) => return Ok(temp),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => cleanup::unregister(&temp),
            Err(e) => {
                cleanup::unregister(&temp);
                return Err(e).with_context(|| {
                    format!("cannot create a temporary file in {}", dir.display())
                });
            }
        }
    }
}

/// Removes a temporary file made by [`temp_beside`].
pub fn remove_temp(temp: &Path) {
    let _ = fs::remove_file(temp);
    cleanup::unregister(temp);
}

/// Removes the temporary files a killed writer of this store left behind:
/// called holding the store's lock, so any such file older than the lock
/// is no other live writer's (they hold the lock while theirs exists).
pub fn remove_stale_temps(path: &Path, locked_at: std::time::SystemTime) {
    let prefix = temp_prefix(path);
    let Ok(entries) = fs::read_dir(folder_of(path)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !name.starts_with(&prefix) || !name.ends_with(".tmp") {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|m| m < locked_at);
        if old {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Atomically replaces `path` with what `write` produces: a temporary
/// file in the same folder, fsync, rename, fsync of the folder. The new
/// file keeps the old one's owner, mode, ACLs and extended attributes (a
/// new file is 0600); `check` runs just before the rename and may refuse it.
pub fn replace_file(
    path: &Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> Result<()>,
    check: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let temp = temp_beside(path, ".tmp")?;
    let written = (|| {
        let shown = path.display();
        let file = fs::OpenOptions::new()
            .write(true)
            .open(&temp)
            .with_context(|| format!("cannot write {shown}"))?;
        {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, &file);
            write(&mut out)?;
            std::io::Write::flush(&mut out).with_context(|| format!("cannot write {shown}"))?;
        }
        keep_owner_and_mode(path, &temp)?;
        file.sync_all()
            .with_context(|| format!("cannot sync {shown}"))?;
        check()?;
        fs::rename(&temp, path).with_context(|| format!("cannot replace {shown}"))
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    cleanup::unregister(&temp);
    written?;
    sync_folder_of(path);
    Ok(())
}

/// Gives the replacement file the mode (never wider than the original's)
/// and, where allowed, the owner of the file it replaces.
fn keep_owner_and_mode(original: &Path, replacement: &Path) -> Result<()> {
    let Ok(meta) = fs::metadata(original) else {
        return Ok(());
    };
    // POSIX ACLs and other extended attributes first: setting the ACL
    // sets the mode bits too, which are then set exactly below.
    // Losing an ACL or a user attribute would change who may read the
    // tokens: that fails the write. Others (security labels) are kept
    // where the system allows.
    if let Ok(names) = xattr::list(original) {
        for name in names {
            let Ok(Some(value)) = xattr::get(original, &name) else {
                continue;
            };
            let kept = xattr::set(replacement, &name, &value);
            let text = name.to_string_lossy();
            if kept.is_err() && (text.starts_with("system.posix_acl") || text.starts_with("user."))
            {
                return kept.with_context(|| {
                    format!(
                        "cannot keep the extended attribute {text} of {}; nothing was written",
                        original.display()
                    )
                });
            }
        }
    }
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

/// Temporary files to remove when the process is interrupted (SIGINT,
/// SIGTERM, SIGHUP): they may hold copies of secrets.
pub mod cleanup {
    use std::path::{Path, PathBuf};
    use std::sync::{Mutex, Once};

    static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    static HANDLER: Once = Once::new();

    pub fn register(path: &Path) {
        HANDLER.call_once(install);
        if let Ok(mut temps) = TEMPS.lock() {
            temps.push(path.to_path_buf());
        }
    }

    pub fn unregister(path: &Path) {
        if let Ok(mut temps) = TEMPS.lock() {
            temps.retain(|p| p != path);
        }
    }

    /// A thread that waits for the signals, removes the files, and exits
    /// as the shell expects (128 + the signal's number).
    fn install() {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                if let Ok(temps) = TEMPS.lock() {
                    for temp in temps.iter() {
                        let _ = std::fs::remove_file(temp);
                    }
                }
                std::process::exit(128 + signal);
            }
        });
    }
}
