//! The case file on disk. Every save is atomic (a temporary file beside
//! it, synced, renamed over it, the directory synced), files are private
//! to the analyst (0600), and a lock file keeps a second console from
//! writing the same case. A file that cannot be read is never written
//! over: the console goes read-only and says why.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::Case;

pub struct Store {
    path: PathBuf,
    pub case: Case,
    /// Why nothing is written, when nothing is: `--read-only`, another
    /// console holds the lock, or the file could not be read.
    pub read_only: Option<String>,
    lock: Option<PathBuf>,
}

/// Where a case lives when none is named: the analyst's data directory,
/// one file per set of inputs.
pub fn default_path(logs: &[PathBuf]) -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "vigil")?;
    let mut h = crate::engine::alert::Fnv::new();
    let mut names: Vec<String> = logs
        .iter()
        .map(|p| {
            fs::canonicalize(p)
                .unwrap_or_else(|_| p.clone())
                .display()
                .to_string()
        })
        .collect();
    names.sort();
    for n in &names {
        h.write(n.as_bytes());
        h.write(b"\0");
    }
    Some(
        dirs.data_dir()
            .join("cases")
            .join(format!("{:016x}.json", h.finish())),
    )
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

/// Whether a process is alive, for telling a stale lock from a held one.
fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Takes the lock beside `path`, or says who holds it.
fn take_lock(path: &Path) -> std::result::Result<PathBuf, String> {
    let lock = lock_path(path);
    for _ in 0..2 {
        match private_file(&lock, true) {
            Ok(mut f) => {
                let _ = writeln!(f, "{}", std::process::id());
                return Ok(lock);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let holder = fs::read_to_string(&lock).unwrap_or_default();
                match holder.trim().parse::<u32>() {
                    Ok(pid) if alive(pid) => {
                        return Err(format!(
                            "another console (process {pid}) has this case open"
                        ));
                    }
                    // Left by a console that died: take it over.
                    _ => {
                        let _ = fs::remove_file(&lock);
                    }
                }
            }
            Err(e) => return Err(format!("cannot lock {}: {e}", lock.display())),
        }
    }
    Err(format!("cannot lock {}", lock.display()))
}

fn private_file(path: &Path, create_new: bool) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true);
    if create_new {
        o.create_new(true);
    } else {
        o.create(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// Replaces `path` with `bytes` so that a crash at any moment leaves
/// either the old file or the new one, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(".{}.tmp", std::process::id()));
    let tmp = dir.join(name);
    let written = (|| {
        let mut f = private_file(&tmp, false)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

impl Store {
    /// Opens the case at `path` (it need not exist yet). With `read_only`
    /// nothing is ever written, not even a lock.
    pub fn open(path: PathBuf, read_only: bool) -> Store {
        let mut store = Store {
            path,
            case: Case::default(),
            read_only: read_only.then(|| "read-only".to_string()),
            lock: None,
        };
        match fs::read(&store.path) {
            Ok(bytes) => match serde_json::from_slice::<Case>(&bytes) {
                Ok(case) => store.case = case,
                Err(e) => {
                    store.read_only = Some(format!(
                        "the case {} cannot be read ({e}); nothing will be written to it",
                        store.path.display()
                    ));
                    return store;
                }
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                store.read_only = Some(format!("cannot read {}: {e}", store.path.display()));
                return store;
            }
        }
        if store.read_only.is_none() {
            if let Some(dir) = store.path.parent() {
                let _ = fs::create_dir_all(dir);
            }
            match take_lock(&store.path) {
                Ok(lock) => store.lock = Some(lock),
                Err(why) => store.read_only = Some(why),
            }
        }
        store
    }

    /// A case kept in memory only.
    pub fn in_memory() -> Store {
        Store {
            path: PathBuf::new(),
            case: Case::default(),
            read_only: Some("kept in memory only".into()),
            lock: None,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the case, unless the store is read-only.
    pub fn save(&mut self) -> Result<()> {
        if self.read_only.is_some() {
            return Ok(());
        }
        self.case.version = super::VERSION;
        let text = serde_json::to_vec_pretty(&self.case).context("writing the case")?;
        write_atomic(&self.path, &text)
            .with_context(|| format!("saving the case to {}", self.path.display()))
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Some(lock) = self.lock.take() {
            let _ = fs::remove_file(lock);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Classification, Status};

    #[test]
    fn a_saved_case_opens_again_private_to_its_owner() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/case.json");
        let mut s = Store::open(path.clone(), false);
        assert!(s.read_only.is_none());
        let a = s.case.entry("alert-1");
        a.status = Status::Closed;
        a.classification = Some(Classification::TruePositive);
        a.note = "confirmed with the user".into();
        s.save().unwrap();
        drop(s);
        let again = Store::open(path.clone(), false);
        let a = again.case.get("alert-1").unwrap();
        assert_eq!(a.status, Status::Closed);
        assert_eq!(a.note, "confirmed with the user");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // No temporary file is left beside it.
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}"); // the case and the lock
    }

    #[test]
    fn a_second_console_on_the_same_case_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("case.json");
        let first = Store::open(path.clone(), false);
        let mut second = Store::open(path.clone(), false);
        let why = second.read_only.clone().expect("read-only");
        assert!(why.contains("another console"), "{why}");
        second.case.entry("x").note = "lost?".into();
        second.save().unwrap();
        assert!(!path.exists());
        drop(first);
        assert!(Store::open(path, false).read_only.is_none());
    }

    #[test]
    fn an_unreadable_case_is_never_written_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("case.json");
        fs::write(&path, "{ not json").unwrap();
        let mut s = Store::open(path.clone(), false);
        assert!(s.read_only.as_deref().unwrap().contains("cannot be read"));
        s.case.entry("x").note = "new".into();
        s.save().unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "{ not json");
    }

    #[test]
    fn read_only_writes_nothing_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("case.json");
        let mut s = Store::open(path.clone(), true);
        s.case.entry("x").note = "n".into();
        s.save().unwrap();
        drop(s);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
