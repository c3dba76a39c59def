#include "core/secrets/SecretStore.h"
