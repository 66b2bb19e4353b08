use heshen_vision::ocr::IdCardReader;
use heshen_vision::runtime::{Runtime, RuntimeConfig};
#[test]
fn dump() {
    let runtime = Runtime::new(RuntimeConfig::new("/work/shared/models")).unwrap();
    let reader = IdCardReader::load(&runtime).unwrap();
    for path in std::env::var("DUMP_IMG").unwrap().split(',') {
        let img = image::open(path).unwrap();
        match reader.read(&img, None) {
            Ok(r) => {
                println!("{} | {}", r.name, r.lines.iter().map(|l| format!("{}@{:.0},{:.0}", l.text, l.quad.centre().x, l.quad.centre().y)).collect::<Vec<_>>().join(" "));
            }
            Err(e) => println!("ERR {e}"),
        }
    }
}
