// The consumer's Main printed one line starting "consumer OK" (it exits 1, failing the build, otherwise).
def log = new File(basedir, 'build.log').text
def ok = log.readLines().find { it.startsWith('consumer OK') }
assert ok != null : "no 'consumer OK' line in ${basedir}/build.log"
println ok
// Run without --add-modules of Netty's epoll natives: the error names the module to add.
def hint = log.readLines().find { it.contains('add --add-modules io.netty.transport.epoll.linux.') }
assert hint != null : "no line naming the natives' module in ${basedir}/build.log"
println hint.trim()
return true
