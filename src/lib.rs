//! Vigil: an offline console for investigating Azure security logs.
//!
//! Module map (the engine modules never depend on a terminal):
//! - [`model`]: event kinds, shapes and canonical entity fields;
//! - [`ingest`]: log readers for every export shape, field mapping, located
//!   load errors;
//! - [`detect`]: aggregating rules (threshold, new terms) over compact hits;
//! - [`engine`]: every rule over every event in one pass, in the background,
//!   alerts grouped per rule and entity;
//! - [`cli`]: the headless commands (`inspect`, `gen`);
//! - [`synth`]: the demo scenario and synthetic logs for benchmarks;
//! - [`text`]: sanitising log text before it is shown;
//! - [`tui`]: the console, panes drawn from state over the engine's stream.

pub mod case;
pub mod cli;
pub mod detect;
pub mod engine;
pub mod exceptions;
pub mod ingest;
pub mod model;
pub mod rules;
pub mod synth;
pub mod text;
pub mod tui;

// Records are parsed on one thread and dropped on another. glibc's
// allocator serialises those frees on the parsing thread's arena lock;
// mimalloc frees across threads without it. Declared here so the binary,
// the tests and the benchmarks all measure the same allocator.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
