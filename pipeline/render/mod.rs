//! Turning view models into pages, shared by the reports (`report/`) and the
//! printable forms (`forms/`): the template set and its labels
//! (`templates.rs`), how figures read (`format.rs`), publishing a folder
//! whole (`output.rs`) and printing through headless Chromium (`pdf.rs`).
//! Neither reader of it imports the other.

pub mod format;
pub mod output;
pub mod pdf;
pub mod templates;
