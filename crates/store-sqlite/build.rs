//! Compiles Dosewise's SQLCipher start-up hook (c/sqlcipher_init.c): SQLCipher's OpenSSL
//! provider with the operating system's random bytes, so OpenSSL initialises only when a key
//! is used. `.cargo/config.toml` points SQLite's SQLITE_EXTRA_INIT at it.

fn main() {
    println!("cargo:rerun-if-changed=c/sqlcipher_init.c");
    cc::Build::new()
        .file("c/sqlcipher_init.c")
        .warnings(true)
        .extra_warnings(true)
        // Kept whole: nothing in Rust names the hook; SQLite's library does.
        .link_lib_modifier("+whole-archive")
        .compile("dosewise_sqlcipher_init");
}
