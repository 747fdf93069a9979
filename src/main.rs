//! The `migbench` command line.

fn main() {
    println!("migbench");
}
