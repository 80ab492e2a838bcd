// The consumer's Main printed one line starting "consumer OK" per run (it exits 1, failing the build, otherwise): on
// the default transport, and on io_uring.
def log = new File(basedir, 'build.log').text
def ok = log.readLines().findAll { it.startsWith('consumer OK') }
assert ok.size() == 2 : "not two 'consumer OK' lines in ${basedir}/build.log: ${ok}"
assert ok.any { it.contains(', default transport ') } : "no run on the default transport: ${ok}"
assert ok.any { it.contains(', io_uring:') } : "no run on io_uring: ${ok}"
ok.each { println it }
// Run without --add-modules of Netty's natives: the error names the module to add, for each transport.
def hint = log.readLines().find { it.contains('add --add-modules io.netty.transport.epoll.linux.') }
assert hint != null : "no line naming the natives' module in ${basedir}/build.log"
assert hint.contains('add --add-modules io.netty.transport.io_uring.linux.') : "io_uring's module not named: ${hint}"
println hint.trim()
return true
