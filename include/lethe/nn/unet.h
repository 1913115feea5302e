// The DDPM U-Net of score_sde sized for 28x28 (docs/math.md#the-u-net), with PyTorch state-dict
// names, so a checkpoint loads into the PyTorch model of tools/reference/unet_torch.py unchanged.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lethe/nn/layers.h"

namespace lethe {

struct UNetConfig {
  std::string name = "mnist-s";
  int in_channels = 1;
  int resolution = 28;
  int ch = 32;
  std::vector<int> ch_mult{1, 2, 2};
  int num_res_blocks = 2;
  std::vector<int> attn_resolutions{7};
  double dropout = 0.1;
  int num_classes = 10;  // 0: unconditional; K > 0: K + 1 embedding rows, row K is the null label

  static UNetConfig preset(const std::string& name);       // "mnist-s", "mnist-xs"
  std::map<std::string, std::string> to_metadata() const;  // "unet.*" keys
  static UNetConfig from_metadata(const std::map<std::string, std::string>& metadata);
};

// GroupNorm(C) of the spec: groups = min(C / 4, 32), eps = 1e-6.
std::shared_ptr<GroupNorm> unet_group_norm(int64_t channels);

class ResBlock : public Module {
 public:
  ResBlock(int64_t in_channels, int64_t out_channels, int64_t emb_width, double dropout,
           Generator& init);
  // x: (B, Cin, H, W), emb: (B, 4ch) -> (B, Cout, H, W)
  Tensor forward(const Tensor& x, const Tensor& emb, Generator& dropout_noise) const;

 private:
  std::shared_ptr<GroupNorm> norm1_, norm2_;
  std::shared_ptr<Conv2d> conv1_, conv2_, skip_;
  std::shared_ptr<Linear> temb_proj_;
  double dropout_;
};

class AttnBlock : public Module {
 public:
  AttnBlock(int64_t channels, Generator& init);
  Tensor forward(const Tensor& x) const;  // (B, C, H, W) -> same

 private:
  std::shared_ptr<GroupNorm> norm_;
  std::shared_ptr<Conv2d> qkv_, proj_;
};

class UNet : public Module {
 public:
  UNet(const UNetConfig& config, Generator& init);
  // x: (B, in_ch, 28, 28) in [-1, 1] scale, t: (B) SDE times, labels: (B) i64 in [0, K] (K is
  // the null label) or undefined for an unconditional model -> eps_hat (B, in_ch, 28, 28).
  Tensor forward(const Tensor& x, const Tensor& t, const Tensor& labels,
                 Generator& dropout_noise) const;
  const UNetConfig& config() const { return config_; }

 private:
  struct Level {
    std::vector<std::shared_ptr<ResBlock>> down_res, up_res;
    std::vector<std::shared_ptr<AttnBlock>> down_attn, up_attn;  // empty when no attention here
    std::shared_ptr<Conv2d> downsample, upsample;                // null at the ends
  };
  UNetConfig config_;
  std::shared_ptr<Linear> time_embed0_, time_embed2_;
  std::shared_ptr<Embedding> class_embed_;
  std::shared_ptr<Conv2d> conv_in_, conv_out_;
  std::vector<Level> levels_;
  std::shared_ptr<ResBlock> mid_res0_, mid_res1_;
  std::shared_ptr<AttnBlock> mid_attn_;
  std::shared_ptr<GroupNorm> norm_out_;
};

}  // namespace lethe
