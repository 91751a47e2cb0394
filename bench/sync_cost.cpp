// What one durable write costs this machine's CPU, apart from fridgebank:
// a loop of an 8 KiB pwrite (the size of one WAL frame of a group commit,
// which spans two pages) and an fdatasync, over a file written once before
// (so its size never changes, as the journal's WAL after its first
// checkpoint). It reads the busy time of the CPU it runs on from /proc/stat
// before and after: system calls, interrupts, softirqs and kernel workers
// on that CPU all count, as they do against a server pinned there.
//   taskset -c 1 fridgebank-sync-cost [DIR=.] [SYNCS=2000]

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sched.h>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

struct cpu_ticks {
  long long busy = 0;
  long long all = 0;
};

/// The CPU's line of /proc/stat: busy is everything but idle and iowait.
cpu_ticks ticks_of(int cpu) {
  std::ifstream stat{"/proc/stat"};
  std::string line;
  auto prefix = "cpu" + std::to_string(cpu) + " ";
  while (std::getline(stat, line)) {
    if (line.rfind(prefix, 0) != 0)
      continue;
    std::istringstream in{line.substr(prefix.size())};
    std::vector<long long> v;
    for (long long x; in >> x;)
      v.push_back(x);
    cpu_ticks t;
    for (std::size_t i = 0; i < v.size() && i < 8; ++i)
      t.all += v[i];
    t.busy = t.all - v.at(3) - v.at(4);
    return t;
  }
  return {};
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fridgebank-sync-cost: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

} // namespace

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : ".";
  long syncs = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 2000;
  constexpr std::size_t block = 8192;
  constexpr long blocks = 1000; // an 8 MB file, rewritten in turn
  auto path = dir + "/fridgebank-sync-cost.tmp";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0)
    fail("open " + path);
  std::vector<char> buffer(block, 'x');
  auto write_block = [&](long i) {
    if (::pwrite(fd, buffer.data(), block, static_cast<off_t>(i % blocks) * block) !=
        static_cast<ssize_t>(block))
      fail("pwrite");
  };
  for (long i = 0; i < blocks; ++i)
    write_block(i);
  if (::fdatasync(fd) != 0)
    fail("fdatasync");
  int cpu = sched_getcpu();
  auto before = ticks_of(cpu);
  auto started = std::chrono::steady_clock::now();
  for (long i = 0; i < syncs; ++i) {
    write_block(i);
    if (::fdatasync(fd) != 0)
      fail("fdatasync");
  }
  std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - started;
  auto after = ticks_of(cpu);
  ::close(fd);
  ::unlink(path.c_str());
  double tick_us = 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::printf("%ld syncs on CPU %d: %.0f us each (wall), CPU %d busy %.0f us per sync "
              "(%lld of %lld ticks)\n",
              syncs, cpu, took.count() / static_cast<double>(syncs), cpu,
              static_cast<double>(after.busy - before.busy) * tick_us / static_cast<double>(syncs),
              after.busy - before.busy, after.all - before.all);
}
