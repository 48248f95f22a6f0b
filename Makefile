# Convenience targets; the CMake build in build/ is the real one.
.PHONY: all build test asan fuzz demo bench clean
all: build
build:
	cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build build -j $$(nproc)
test:
	scripts/test.sh
asan:
	scripts/test.sh --asan
fuzz:
	scripts/test.sh --fuzz
demo:
	scripts/demo.sh
bench: build
	scripts/bench.sh
clean:
	rm -rf build build-asan build-fuzz
