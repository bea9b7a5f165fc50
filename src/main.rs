use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = vigil::cli::Cli::parse();
    match vigil::cli::run(cli) {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            eprintln!("vigil: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
