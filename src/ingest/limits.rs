//! Bounds on what one hostile input can make the loader allocate or recurse.

/// Upper bounds applied while reading logs. The defaults suit real exports
/// (the largest Entra sign-in records are a few hundred KiB) while keeping a
/// crafted file from exhausting memory or the stack.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest single record (one NDJSON line, one array element, one CSV row).
    pub max_record_bytes: usize,
    /// Deepest nesting of arrays and objects inside one record.
    pub max_depth: usize,
    /// Errors kept with their text per file; the rest are only counted.
    pub max_errors_kept: usize,
    /// Most columns accepted in a CSV header or a Log Analytics table.
    pub max_columns: usize,
}

/// Nesting beyond this is refused even when asked for, because parsing
/// recurses and each level costs stack.
pub const HARD_MAX_DEPTH: usize = 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_record_bytes: 16 * 1024 * 1024,
            max_depth: 256,
            max_errors_kept: 100,
            max_columns: 4096,
        }
    }
}

impl Limits {
    pub fn with_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth.clamp(1, HARD_MAX_DEPTH);
        self
    }
}
