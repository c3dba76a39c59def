#pragma once

// Placeholder: filled by the module owner.
