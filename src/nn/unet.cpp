#include "lethe/nn/unet.h"
#include "lethe/core/number_text.h"

#include <algorithm>
#include <sstream>

#include "lethe/core/int_list.h"
#include "lethe/nn/sinusoidal_embedding.h"

namespace lethe {
namespace {

// A comma-separated list of integers in [low, high], at most `most` of them.
std::vector<int> split_ints(const std::string& key, const std::string& text, int low, int high,
                            size_t most = 8) {
  std::vector<int> values;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    values.push_back(
        static_cast<int>(parse_integer(item, "checkpoint metadata '" + key + "'", low, high)));
  }
  LETHE_CHECK(values.size() <= most, "checkpoint metadata '", key, "' = '", text,
              "' lists more than ", most, " values");
  return values;
}

// Zeroes a layer's weights and bias: score_sde's init for the last conv of each residual branch.
void zero_init(Conv2d& conv) {
  conv.weight.fill(0);
  conv.bias.fill(0);
}

}  // namespace

UNetConfig UNetConfig::preset(const std::string& name) {
  UNetConfig config;
  config.name = name;
  if (name == "mnist-s") return config;
  if (name == "mnist-xs") {
    config.ch = 16;
    config.ch_mult = {1, 2};
    config.num_res_blocks = 1;
    config.attn_resolutions = {};
    config.dropout = 0;
    return config;
  }
  fail("unknown U-Net config '", name, "': expected mnist-s or mnist-xs");
}

std::map<std::string, std::string> UNetConfig::to_metadata() const {
  std::ostringstream dropout_text;
  dropout_text << dropout;
  return {{"unet.name", name},
          {"unet.in_channels", std::to_string(in_channels)},
          {"unet.resolution", std::to_string(resolution)},
          {"unet.ch", std::to_string(ch)},
          {"unet.ch_mult", join_ints(ch_mult)},
          {"unet.num_res_blocks", std::to_string(num_res_blocks)},
          {"unet.attn_resolutions", join_ints(attn_resolutions)},
          {"unet.dropout", dropout_text.str()},
          {"unet.num_classes", std::to_string(num_classes)}};
}

UNetConfig UNetConfig::from_metadata(const std::map<std::string, std::string>& metadata) {
  auto get = [&](const std::string& key) -> const std::string& {
    auto found = metadata.find(key);
    LETHE_CHECK(found != metadata.end(), "checkpoint metadata lacks '", key,
                "': not a Lethe U-Net checkpoint");
    return found->second;
  };
  // Bounds well past any model Lethe builds, so that a corrupt header fails here and not in an
  // allocation of terabytes.
  auto integer = [&](const std::string& key, int low, int high) {
    return static_cast<int>(
        parse_integer(get(key), "checkpoint metadata '" + key + "'", low, high));
  };
  UNetConfig config;
  config.name = get("unet.name");
  config.in_channels = integer("unet.in_channels", 1, 64);
  config.resolution = integer("unet.resolution", 1, 4096);
  config.ch = integer("unet.ch", 1, 4096);
  config.ch_mult = split_ints("unet.ch_mult", get("unet.ch_mult"), 1, 64);
  config.num_res_blocks = integer("unet.num_res_blocks", 0, 64);
  config.attn_resolutions =
      split_ints("unet.attn_resolutions", get("unet.attn_resolutions"), 1, 4096);
  config.dropout = parse_real(get("unet.dropout"), "checkpoint metadata 'unet.dropout'", 0, 1);
  config.num_classes = integer("unet.num_classes", 0, 1 << 20);
  return config;
}

std::shared_ptr<GroupNorm> unet_group_norm(int64_t channels) {
  return std::make_shared<GroupNorm>(static_cast<int>(std::min<int64_t>(channels / 4, 32)),
                                     channels, 1e-6);
}

ResBlock::ResBlock(int64_t in_channels, int64_t out_channels, int64_t emb_width, double dropout,
                   Generator& init)
    : dropout_(dropout) {
  norm1_ = unet_group_norm(in_channels);
  add_module("norm1", norm1_);
  conv1_ = std::make_shared<Conv2d>(in_channels, out_channels, 3, init, 1, 1);
  add_module("conv1", conv1_);
  temb_proj_ = std::make_shared<Linear>(emb_width, out_channels, init);
  add_module("temb_proj", temb_proj_);
  norm2_ = unet_group_norm(out_channels);
  add_module("norm2", norm2_);
  conv2_ = std::make_shared<Conv2d>(out_channels, out_channels, 3, init, 1, 1);
  zero_init(*conv2_);
  add_module("conv2", conv2_);
  if (in_channels != out_channels) {
    skip_ = std::make_shared<Conv2d>(in_channels, out_channels, 1, init);
    add_module("skip", skip_);
  }
}

Tensor ResBlock::forward(const Tensor& x, const Tensor& emb, Generator& dropout_noise) const {
  Tensor h = conv1_->forward(norm1_->forward_silu(x));
  const Tensor temb = temb_proj_->forward(silu(emb));  // (B, Cout)
  h = h + temb.reshape({temb.dim(0), temb.dim(1), 1, 1});
  h = norm2_->forward_silu(h);
  h = conv2_->forward(dropout(h, dropout_, training(), dropout_noise));
  return (skip_ ? skip_->forward(x) : x) + h;
}

AttnBlock::AttnBlock(int64_t channels, Generator& init) {
  norm_ = unet_group_norm(channels);
  add_module("norm", norm_);
  qkv_ = std::make_shared<Conv2d>(channels, 3 * channels, 1, init);
  add_module("qkv", qkv_);
  proj_ = std::make_shared<Conv2d>(channels, channels, 1, init);
  zero_init(*proj_);
  add_module("proj", proj_);
}

Tensor AttnBlock::forward(const Tensor& x) const {
  const int64_t batch = x.dim(0), channels = x.dim(1), positions = x.dim(2) * x.dim(3);
  const Tensor qkv = qkv_->forward(norm_->forward(x)).reshape({batch, 3 * channels, positions});
  const std::vector<Tensor> parts = split(qkv, {channels, channels, channels}, 1);
  const Tensor attended = attention(parts[0], parts[1], parts[2]);  // (B, C, N)
  return x + proj_->forward(attended.reshape(x.shape()));
}

UNet::UNet(const UNetConfig& config, Generator& init) : config_(config) {
  const int64_t ch = config.ch, emb_width = 4 * ch;
  const int levels = static_cast<int>(config.ch_mult.size());
  LETHE_CHECK(levels >= 1 && config.num_res_blocks >= 1 && ch % 4 == 0 && ch >= 8, "U-Net config '",
              config.name,
              "': needs ch_mult, num_res_blocks >= 1 and ch a "
              "multiple of 4");
  LETHE_CHECK(config.resolution % (1 << (levels - 1)) == 0, "U-Net config '", config.name,
              "': resolution ", config.resolution, " does not halve ", levels - 1, " times");
  auto has_attention = [&](int resolution) {
    return std::find(config.attn_resolutions.begin(), config.attn_resolutions.end(), resolution) !=
           config.attn_resolutions.end();
  };
  time_embed0_ = std::make_shared<Linear>(ch, emb_width, init);
  add_module("time_embed.0", time_embed0_);
  time_embed2_ = std::make_shared<Linear>(emb_width, emb_width, init);
  add_module("time_embed.2", time_embed2_);
  if (config.num_classes > 0) {
    class_embed_ = std::make_shared<Embedding>(config.num_classes + 1, emb_width, init);
    add_module("class_embed", class_embed_);
  }
  conv_in_ = std::make_shared<Conv2d>(config.in_channels, ch, 3, init, 1, 1);
  add_module("conv_in", conv_in_);

  levels_.resize(levels);
  std::vector<int64_t> skip_channels{ch};  // channels of every tensor pushed on `hs`
  int64_t channels = ch;
  for (int i = 0; i < levels; ++i) {
    const int resolution = config.resolution >> i;
    const std::string prefix = "down." + std::to_string(i);
    for (int j = 0; j < config.num_res_blocks; ++j) {
      const int64_t out = ch * config.ch_mult[i];
      auto block = std::make_shared<ResBlock>(channels, out, emb_width, config.dropout, init);
      levels_[i].down_res.push_back(block);
      add_module(prefix + ".res." + std::to_string(j), block);
      channels = out;
      if (has_attention(resolution)) {
        levels_[i].down_attn.push_back(std::make_shared<AttnBlock>(channels, init));
        add_module(prefix + ".attn." + std::to_string(j), levels_[i].down_attn.back());
      }
      skip_channels.push_back(channels);
    }
    if (i < levels - 1) {
      levels_[i].downsample = std::make_shared<Conv2d>(channels, channels, 3, init, 2, 1);
      add_module(prefix + ".downsample", levels_[i].downsample);
      skip_channels.push_back(channels);
    }
  }
  mid_res0_ = std::make_shared<ResBlock>(channels, channels, emb_width, config.dropout, init);
  add_module("mid.res0", mid_res0_);
  mid_attn_ = std::make_shared<AttnBlock>(channels, init);
  add_module("mid.attn", mid_attn_);
  mid_res1_ = std::make_shared<ResBlock>(channels, channels, emb_width, config.dropout, init);
  add_module("mid.res1", mid_res1_);

  for (int i = levels - 1; i >= 0; --i) {
    const int resolution = config.resolution >> i;
    const std::string prefix = "up." + std::to_string(i);
    for (int j = 0; j <= config.num_res_blocks; ++j) {
      const int64_t out = ch * config.ch_mult[i];
      const int64_t in = channels + skip_channels.back();
      skip_channels.pop_back();
      auto block = std::make_shared<ResBlock>(in, out, emb_width, config.dropout, init);
      levels_[i].up_res.push_back(block);
      add_module(prefix + ".res." + std::to_string(j), block);
      channels = out;
      if (has_attention(resolution)) {
        levels_[i].up_attn.push_back(std::make_shared<AttnBlock>(channels, init));
        add_module(prefix + ".attn." + std::to_string(j), levels_[i].up_attn.back());
      }
    }
    if (i > 0) {
      levels_[i].upsample = std::make_shared<Conv2d>(channels, channels, 3, init, 1, 1);
      add_module(prefix + ".upsample.conv", levels_[i].upsample);
    }
  }
  norm_out_ = unet_group_norm(channels);
  add_module("norm_out", norm_out_);
  conv_out_ = std::make_shared<Conv2d>(channels, config.in_channels, 3, init, 1, 1);
  zero_init(*conv_out_);
  add_module("conv_out", conv_out_);
}

Tensor UNet::forward(const Tensor& x, const Tensor& t, const Tensor& labels,
                     Generator& dropout_noise) const {
  const UNetConfig& c = config_;
  LETHE_CHECK(x.rank() == 4 && x.dim(1) == c.in_channels && x.dim(2) == c.resolution &&
                  x.dim(3) == c.resolution,
              "U-Net '", c.name, "': input ", describe(x), " is not (B, ", c.in_channels, ", ",
              c.resolution, ", ", c.resolution, ")");
  LETHE_CHECK(t.rank() == 1 && t.dim(0) == x.dim(0), "U-Net: times ", describe(t),
              " do not match the batch of ", describe(x));
  Tensor emb =
      time_embed2_->forward(silu(time_embed0_->forward(sinusoidal_embedding(t * 999.0, c.ch))));
  if (class_embed_) {
    LETHE_CHECK(labels.defined() && labels.rank() == 1 && labels.dim(0) == x.dim(0),
                "U-Net: a class-conditional model needs labels (B) in [0, ", c.num_classes,
                "], got ", describe(labels));
    emb = emb + class_embed_->forward(labels);
  }
  Tensor h = conv_in_->forward(x);
  std::vector<Tensor> hs{h};
  for (size_t i = 0; i < levels_.size(); ++i) {
    const Level& level = levels_[i];
    for (size_t j = 0; j < level.down_res.size(); ++j) {
      h = level.down_res[j]->forward(h, emb, dropout_noise);
      if (!level.down_attn.empty()) h = level.down_attn[j]->forward(h);
      hs.push_back(h);
    }
    if (level.downsample) {
      h = level.downsample->forward(h);
      hs.push_back(h);
    }
  }
  h = mid_res1_->forward(mid_attn_->forward(mid_res0_->forward(h, emb, dropout_noise)), emb,
                         dropout_noise);
  for (size_t i = levels_.size(); i-- > 0;) {
    const Level& level = levels_[i];
    for (size_t j = 0; j < level.up_res.size(); ++j) {
      h = level.up_res[j]->forward(concat({h, hs.back()}, 1), emb, dropout_noise);
      hs.pop_back();
      if (!level.up_attn.empty()) h = level.up_attn[j]->forward(h);
    }
    if (level.upsample) h = level.upsample->forward(upsample_nearest2x(h));
  }
  return conv_out_->forward(norm_out_->forward_silu(h));
}

}  // namespace lethe
