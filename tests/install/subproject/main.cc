#include "bulwark/core/secret_bytes.h"

int main() { return bulwark::SecretBytes::FromString("x").size() == 1 ? 0 : 1; }
