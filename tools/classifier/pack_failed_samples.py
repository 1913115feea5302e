"""Packs `lethe sample` outputs (f32 'samples' (N, 1, 28, 28) in [-1, 1]) into one safetensors file
with u8 tensors 'train' and 'test' (pixels rounded like MNIST's). Standard library only."""
import argparse
import array
import json
import struct
import sys


def read_samples(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    entry = header["samples"]
    assert entry["dtype"] == "F32" and entry["shape"][1:] == [1, 28, 28], path
    begin, end = entry["data_offsets"]
    values = array.array("f", data[begin:end])
    if sys.byteorder == "big":
        values.byteswap()
    return values


def to_pixels(values):
    """f32 in [-1, 1] -> u8 bytes, rounded half to even like numpy.rint."""
    return bytes(min(255, max(0, round((v + 1) * 127.5))) for v in values)


def write(path, tensors, metadata):
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name, blob in tensors.items():
        header[name] = {"dtype": "U8", "shape": [len(blob) // 784, 1, 28, 28],
                        "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("--train", nargs="+", required=True)
parser.add_argument("--test", nargs="+", required=True)
args = parser.parse_args()
train = b"".join(to_pixels(read_samples(p)) for p in args.train)
test = b"".join(to_pixels(read_samples(p)) for p in args.test)
write(args.out, {"train": train, "test": test},
      {"content": "samples of mnist-s after 100 and 200 training steps (tools/classifier/"
                  "make_failed_samples.sh); train: seed 0, test: seed 1"})
print(f"wrote {args.out}: train {len(train) // 784}, test {len(test) // 784} images")
