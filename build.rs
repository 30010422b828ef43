fn main() {
    napi_build::setup();
    // simulatorPath() names the target it was built for in its errors.
    println!(
        "cargo:rustc-env=AVENOR_TARGET={}",
        std::env::var("TARGET").expect("cargo sets TARGET")
    );
}
