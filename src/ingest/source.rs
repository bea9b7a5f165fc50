//! Where inputs come from: files, folders walked recursively, and standard
//! input (spooled to a private unlinked file so its records can be re-read
//! for drill-down like any other file's).

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One input file, reopenable for reparsing records on demand.
#[derive(Debug, Clone)]
pub enum Origin {
    Path(PathBuf),
    Spool(Arc<File>),
}

impl Origin {
    pub fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        match self {
            Origin::Path(p) => Ok(Box::new(File::open(p)?)),
            Origin::Spool(f) => {
                let mut f = f.try_clone()?;
                f.seek(SeekFrom::Start(0))?;
                Ok(Box::new(f))
            }
        }
    }
}

/// The name the command line gave a file (`--index NAME=PATH`,
/// `--table NAME=PATH`): `named` holds (path, name) pairs, and a folder's
/// name covers the files under it.
pub fn named_for<'a>(file: &str, named: &'a [(String, String)]) -> Option<&'a str> {
    named
        .iter()
        .find(|(p, _)| {
            file == p || (file.starts_with(p.as_str()) && file[p.len()..].starts_with('/'))
        })
        .map(|(_, n)| n.as_str())
}

/// An input that could not be opened: its name and why.
pub type Unreadable = (String, String);

/// Expands the command-line inputs into files, in a stable order: folders
/// are walked recursively with entries sorted by name; hidden entries and
/// symlinked folders are skipped so a walk cannot loop.
pub fn expand(inputs: &[PathBuf]) -> (Vec<(String, Origin)>, Vec<Unreadable>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for input in inputs {
        if input.as_os_str() == "-" {
            match spool_stdin() {
                Ok(f) => files.push(("<stdin>".to_string(), Origin::Spool(Arc::new(f)))),
                Err(e) => problems.push(("<stdin>".to_string(), e.to_string())),
            }
            continue;
        }
        walk(input, &mut files, &mut problems);
    }
    (files, problems)
}

fn walk(path: &Path, files: &mut Vec<(String, Origin)>, problems: &mut Vec<Unreadable>) {
    let display = path.display().to_string();
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            problems.push((display, e.to_string()));
            return;
        }
    };
    if meta.is_file() {
        files.push((display, Origin::Path(path.to_path_buf())));
        return;
    }
    if !meta.is_dir() {
        problems.push((display, "not a regular file or folder".into()));
        return;
    }
    let mut entries: Vec<_> = match fs::read_dir(path) {
        Ok(rd) => rd.filter_map(Result::ok).collect(),
        Err(e) => {
            problems.push((display, e.to_string()));
            return;
        }
    };
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let p = e.path();
        let is_link_dir = e.file_type().is_ok_and(|t| t.is_symlink()) && p.is_dir();
        if !is_link_dir {
            walk(&p, files, problems);
        }
    }
}

fn spool_stdin() -> io::Result<File> {
    let mut f = private_temp_file()?;
    io::copy(&mut io::stdin().lock(), &mut f)?;
    Ok(f)
}

/// A temporary file only this user can read, already unlinked so nothing is
/// left behind whatever happens to the process.
fn private_temp_file() -> io::Result<File> {
    let dir = std::env::temp_dir();
    for attempt in 0..100u32 {
        let name = dir.join(format!(
            "vigil-stdin-{}-{}-{attempt}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        ));
        let mut opts = fs::OpenOptions::new();
        opts.read(true).write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        match opts.open(&name) {
            Ok(f) => {
                let _ = fs::remove_file(&name);
                return Ok(f);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("could not create a temporary file"))
}
