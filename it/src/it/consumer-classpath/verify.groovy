// The consumer's Main printed one line starting "consumer OK" (it exits 1, failing the build, otherwise).
def log = new File(basedir, 'build.log').text
def ok = log.readLines().find { it.startsWith('consumer OK') }
assert ok != null : "no 'consumer OK' line in ${basedir}/build.log"
println ok
return true
