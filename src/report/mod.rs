//! Reports: model outcomes and replays turned into what people read (tables) and
//! what scripts read (JSON with units in every field name).

pub mod build;
pub mod explain;
pub mod html;
pub mod plot;
pub mod replay;
pub mod simulate;
pub mod sweep;
pub mod table;
pub mod timeline;
pub mod timeline_svg;
