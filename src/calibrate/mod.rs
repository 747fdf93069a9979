//! Calibration: fit the model to recorded runs ([`fit`]), store it as a model file
//! ([`model_file`]), and measure its predictions on runs it has not seen
//! ([`validate`]).

pub mod fit;
pub mod model_file;
pub mod run;
pub mod stats;
pub mod validate;

pub use model_file::ModelFile;
pub use run::Run;
