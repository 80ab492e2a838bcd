// The consumer's Main printed one line starting "consumer OK" per run (it exits 1, failing the build, otherwise): on
// the default transport, and on io_uring.
def log = new File(basedir, 'build.log').text
def ok = log.readLines().findAll { it.startsWith('consumer OK') }
assert ok.size() == 2 : "not two 'consumer OK' lines in ${basedir}/build.log: ${ok}"
assert ok.any { it.contains(', default transport ') } : "no run on the default transport: ${ok}"
assert ok.any { it.contains(', io_uring:') } : "no run on io_uring: ${ok}"
ok.each { println it }
return true
