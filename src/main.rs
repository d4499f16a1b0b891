use clap::Parser;

// Replaying the record allocates for every event; with mimalloc verify needs about a fifth less CPU.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = fairpanel::cli::Cli::parse();
    if let Err(e) = fairpanel::commands::run(cli) {
        if fairpanel::is_broken_pipe(&e) {
            std::process::exit(0);
        }
        if e.downcast_ref::<fairpanel::GapFound>().is_none() {
            // Errors quote names and notes from the record: shown safely, like any other output.
            let message = format!("{e:#}");
            eprintln!("error: {}", fairpanel::model::terminal_safe(&message));
        }
        std::process::exit(fairpanel::exit_code(&e));
    }
}
