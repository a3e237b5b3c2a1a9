/* isa.h - kernels/ and ops.c are compiled once per ISA level (generic,
 * avx2 = x86-64-v3, avx512 = x86-64-v4; see lib/runtime/CMakeLists.txt), so
 * every function they export is renamed name -> name_<isa> here and the sets
 * link side by side. lib/runtime/isa.c picks one set at start-up; the rest
 * of the runtime reaches kernels only through its op table.
 *
 * A function exported from kernels/ without a line below is defined once
 * per set under the same name: the link fails, so it cannot be forgotten. */
#ifndef SP_RUNTIME_KERNELS_ISA_H
#define SP_RUNTIME_KERNELS_ISA_H

#ifndef SP_KERNEL_ISA
#error "kernels are compiled once per ISA: define SP_KERNEL_ISA (generic, avx2, avx512)"
#endif

#define KSYM(name) KSYM_(name, SP_KERNEL_ISA)
#define KSYM_(name, isa) KSYM__(name, isa)
#define KSYM__(name, isa) name##_##isa

/* ops.c */
#define rt_kernel_set KSYM(rt_kernel_set)
/* activation.c */
#define gelu_forward KSYM(gelu_forward)
#define hardswish_forward KSYM(hardswish_forward)
#define silu_forward KSYM(silu_forward)
#define softmax_forward KSYM(softmax_forward)
#define relu_backward KSYM(relu_backward)
#define clip_backward KSYM(clip_backward)
#define rt_clip KSYM(rt_clip)
#define rt_clip_backward KSYM(rt_clip_backward)
#define rt_hardmax KSYM(rt_hardmax)
#define rt_softmax KSYM(rt_softmax)
#define rt_softmax_backward KSYM(rt_softmax_backward)
#define softmax_backward KSYM(softmax_backward)
#define rt_unary KSYM(rt_unary)
#define rt_unary_backward KSYM(rt_unary_backward)
#define rt_unary_prepare KSYM(rt_unary_prepare)
/* conv.c */
#define conv_forward KSYM(conv_forward)
#define conv_chunked_forward KSYM(conv_chunked_forward)
#define conv_chunked_scratch_floats KSYM(conv_chunked_scratch_floats)
#define conv_packed_forward KSYM(conv_packed_forward)
#define conv_scratch_floats KSYM(conv_scratch_floats)
#define conv_backward KSYM(conv_backward)
#define conv_backward_scratch_floats KSYM(conv_backward_scratch_floats)
#define im2col_backward KSYM(im2col_backward)
#define epilogue_forward KSYM(epilogue_forward)
#define im2col_forward KSYM(im2col_forward)
#define rt_conv KSYM(rt_conv)
#define rt_conv_backward KSYM(rt_conv_backward)
#define rt_conv_prepare KSYM(rt_conv_prepare)
#define rt_conv_transpose KSYM(rt_conv_transpose)
/* depthwise.c */
#define depthwise_applies KSYM(depthwise_applies)
#define depthwise_forward KSYM(depthwise_forward)
#define depthwise_scratch_floats KSYM(depthwise_scratch_floats)
/* elementwise.c */
#define rt_binary KSYM(rt_binary)
#define rt_binary_backward KSYM(rt_binary_backward)
#define rt_binary_prepare KSYM(rt_binary_prepare)
#define rt_broadcast_strides KSYM(rt_broadcast_strides)
#define rt_not KSYM(rt_not)
#define rt_variadic KSYM(rt_variadic)
#define rt_where KSYM(rt_where)
/* gemm.c */
#define matmul_epilogue_forward KSYM(matmul_epilogue_forward)
#define sgemm_epilogue_forward KSYM(sgemm_epilogue_forward)
#define sgemm_forward KSYM(sgemm_forward)
#define sgemm_serial KSYM(sgemm_serial)
#define rt_einsum KSYM(rt_einsum)
#define rt_gemm KSYM(rt_gemm)
#define rt_gemm_backward KSYM(rt_gemm_backward)
#define rt_matmul KSYM(rt_matmul)
#define rt_matmul_backward KSYM(rt_matmul_backward)
/* norm.c */
#define batchnorm_forward KSYM(batchnorm_forward)
#define batchnorm_train_forward KSYM(batchnorm_train_forward)
#define batchnorm_backward KSYM(batchnorm_backward)
#define batchnorm_channel_sums KSYM(batchnorm_channel_sums)
#define batchnorm_channel_sqdev KSYM(batchnorm_channel_sqdev)
#define batchnorm_apply KSYM(batchnorm_apply)
#define batchnorm_backward_sums KSYM(batchnorm_backward_sums)
#define batchnorm_backward_dx KSYM(batchnorm_backward_dx)
#define layernorm_forward KSYM(layernorm_forward)
#define sum8_forward KSYM(sum8_forward)
#define rt_batchnorm KSYM(rt_batchnorm)
#define rt_batchnorm_backward KSYM(rt_batchnorm_backward)
#define rt_fused_layernorm KSYM(rt_fused_layernorm)
#define rt_groupnorm KSYM(rt_groupnorm)
#define rt_instancenorm KSYM(rt_instancenorm)
#define rt_layernorm KSYM(rt_layernorm)
#define rt_lrn KSYM(rt_lrn)
/* pointwise.c */
#define packed_gemm_applies KSYM(packed_gemm_applies)
#define packed_gemm_forward KSYM(packed_gemm_forward)
#define packed_gemm_panels KSYM(packed_gemm_panels)
#define packed_gemm_serial KSYM(packed_gemm_serial)
#define pointwise_applies KSYM(pointwise_applies)
#define pointwise_forward KSYM(pointwise_forward)
#define pointwise_pack KSYM(pointwise_pack)
#define pointwise_packed_floats KSYM(pointwise_packed_floats)
/* pool.c */
#define global_avgpool_backward KSYM(global_avgpool_backward)
#define rt_avgpool KSYM(rt_avgpool)
#define rt_global_avgpool KSYM(rt_global_avgpool)
#define rt_global_avgpool_backward KSYM(rt_global_avgpool_backward)
#define rt_global_maxpool KSYM(rt_global_maxpool)
#define rt_lppool KSYM(rt_lppool)
#define rt_maxpool KSYM(rt_maxpool)
#define rt_maxpool_backward KSYM(rt_maxpool_backward)
#define rt_avgpool_backward KSYM(rt_avgpool_backward)
/* reduce.c */
#define rt_argmax KSYM(rt_argmax)
#define rt_reduce KSYM(rt_reduce)
/* tensor.c */
#define rt_cast KSYM(rt_cast)
#define rt_concat KSYM(rt_concat)
#define rt_constant_of_shape KSYM(rt_constant_of_shape)
#define rt_cumsum KSYM(rt_cumsum)
#define rt_depth_to_space KSYM(rt_depth_to_space)
#define rt_expand KSYM(rt_expand)
#define rt_eyelike KSYM(rt_eyelike)
#define rt_gather KSYM(rt_gather)
#define rt_gather_elements KSYM(rt_gather_elements)
#define rt_pad KSYM(rt_pad)
#define rt_pad_backward KSYM(rt_pad_backward)
#define rt_range KSYM(rt_range)
#define rt_resize KSYM(rt_resize)
#define rt_scatter_nd KSYM(rt_scatter_nd)
#define rt_shape KSYM(rt_shape)
#define rt_size KSYM(rt_size)
#define rt_slice KSYM(rt_slice)
#define rt_space_to_depth KSYM(rt_space_to_depth)
#define rt_split KSYM(rt_split)
#define rt_strided_copy KSYM(rt_strided_copy)
#define rt_tile KSYM(rt_tile)
#define rt_transpose KSYM(rt_transpose)
#define rt_transpose_backward KSYM(rt_transpose_backward)
#define rt_trilu KSYM(rt_trilu)
#define rt_view KSYM(rt_view)
#define rt_view_backward KSYM(rt_view_backward)
/* winograd.c */
#define winograd_applies KSYM(winograd_applies)
#define winograd_forward KSYM(winograd_forward)
#define winograd_scratch_floats KSYM(winograd_scratch_floats)
#define winograd_set_chunk_bytes KSYM(winograd_set_chunk_bytes)
#define winograd_weights KSYM(winograd_weights)
#define winograd_weights_floats KSYM(winograd_weights_floats)

#endif
