fn main() {
    println!("fakescope (being written)");
}
