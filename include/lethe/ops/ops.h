// Every device-neutral differentiable op. Each checks its arguments (lethe::Error naming the op and
// the shapes), runs its kernels through lethe/tt/ (which picks the backend) and records its VJP for
// autograd. Floating ops accept f32 and f64 (f64 serves the finite-difference gradient checks);
// all float inputs of one op must share a dtype and a device. One header per op family, named as
// its source in src/ops/; this one includes them all.
#pragma once
#include "lethe/ops/attention.h"
#include "lethe/ops/conv.h"
#include "lethe/ops/dropout.h"
#include "lethe/ops/elementwise.h"
#include "lethe/ops/group_norm.h"
#include "lethe/ops/indexing.h"
#include "lethe/ops/matmul.h"
#include "lethe/ops/random.h"
#include "lethe/ops/reduce.h"
#include "lethe/ops/shape.h"
#include "lethe/ops/softmax.h"
#include "lethe/ops/squared_error.h"
#include "lethe/ops/upsample.h"
