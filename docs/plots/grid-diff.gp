# fbw plot grid of sweep 'bench' (id 1); re-render with: gnuplot grid-diff.gp
set terminal pngcairo size 1007,800 noenhanced font 'Sans,10' background '#ffffff'
set termoption noenhanced
set encoding utf8
set decimalsign '.'
set output 'grid-diff.png'
unset border
unset tics
unset key
unset colorbox
set lmargin at screen 0
set rmargin at screen 1
set tmargin at screen 1
set bmargin at screen 0
set xrange [0:1007]
set yrange [0:800]
set label 1 'sweep ''bench'': difference from the uncached reference (black: none, white: large)' at 16.0,778.0 left noenhanced front font ',14' tc rgb '#000000'
set label 2 'x: residual_diff_threshold=0.05, 0.1, 0.2, 0.3; y: scheduler=simple,karras,normal' at 16.0,46.0 left noenhanced front font ',9' tc rgb '#444444'
set label 3 'fixed: max_consecutive_cache_hits=-1 start=0 end=1 sampler=euler steps=30 cfg=3 seed=0 class=0 model=models/default.safetensors' at 16.0,32.0 left noenhanced front font ',9' tc rgb '#444444'
set label 4 'compile=none; repeat 3, warmup 1' at 16.0,18.0 left noenhanced front font ',9' tc rgb '#444444'
set label 5 'residual_diff_threshold' at 441.0,740.0 center noenhanced front font ',11' tc rgb '#000000'
set label 6 '0.05' at 171.0,720.0 center noenhanced front font ',10' tc rgb '#000000'
set label 7 '0.1' at 351.0,720.0 center noenhanced front font ',10' tc rgb '#000000'
set label 8 '0.2' at 531.0,720.0 center noenhanced front font ',10' tc rgb '#000000'
set label 9 '0.3' at 711.0,720.0 center noenhanced front font ',10' tc rgb '#000000'
set label 10 'reference' at 891.0,720.0 center noenhanced front font ',10' tc rgb '#000000'
set label 11 'simple' at 83.0,628.0 right noenhanced front font ',10' tc rgb '#000000'
set label 12 'karras' at 83.0,412.0 right noenhanced front font ',10' tc rgb '#000000'
set label 13 'normal' at 83.0,196.0 right noenhanced front font ',10' tc rgb '#000000'
set label 14 'scheduler' at 14.0,394.0 center noenhanced front font ',11' tc rgb '#000000' rotate by 90
set label 15 '288 ms  0.99x' at 171.0,534.0 center noenhanced front font ',10' tc rgb '#222222'
set label 16 'hits 0%  identical' at 171.0,518.0 center noenhanced front font ',10' tc rgb '#222222'
set label 17 '189 ms  1.51x' at 351.0,534.0 center noenhanced front font ',10' tc rgb '#222222'
set label 18 'hits 47%  32.9 dB' at 351.0,518.0 center noenhanced front font ',10' tc rgb '#222222'
set label 19 '135 ms  2.10x' at 531.0,534.0 center noenhanced front font ',10' tc rgb '#222222'
set label 20 'hits 67%  25.7 dB' at 531.0,518.0 center noenhanced front font ',10' tc rgb '#222222'
set label 21 '122 ms  2.33x' at 711.0,534.0 center noenhanced front font ',10' tc rgb '#222222'
set label 22 'hits 77%  22.4 dB' at 711.0,518.0 center noenhanced front font ',10' tc rgb '#222222'
set label 23 '284 ms  uncached' at 891.0,534.0 center noenhanced front font ',10' tc rgb '#666666'
set label 24 '194 ms  1.48x' at 171.0,318.0 center noenhanced front font ',10' tc rgb '#222222'
set label 25 'hits 37%  57.1 dB' at 171.0,302.0 center noenhanced front font ',10' tc rgb '#222222'
set label 26 '141 ms  2.02x' at 351.0,318.0 center noenhanced front font ',10' tc rgb '#222222'
set label 27 'hits 60%  41.4 dB' at 351.0,302.0 center noenhanced front font ',10' tc rgb '#222222'
set label 28 '117 ms  2.89x' at 531.0,318.0 center noenhanced front font ',10' tc rgb '#222222'
set label 29 'hits 73%  34.7 dB' at 531.0,302.0 center noenhanced front font ',10' tc rgb '#222222'
set label 30 '98 ms  2.96x' at 711.0,318.0 center noenhanced front font ',10' tc rgb '#222222'
set label 31 'hits 80%  29.1 dB' at 711.0,302.0 center noenhanced front font ',10' tc rgb '#222222'
set label 32 '326 ms  uncached' at 891.0,318.0 center noenhanced front font ',10' tc rgb '#666666'
set label 33 '394 ms  0.97x' at 171.0,102.0 center noenhanced front font ',10' tc rgb '#222222'
set label 34 'hits 0%  identical' at 171.0,86.0 center noenhanced front font ',10' tc rgb '#222222'
set label 35 '227 ms  1.63x' at 351.0,102.0 center noenhanced front font ',10' tc rgb '#222222'
set label 36 'hits 47%  34.2 dB' at 351.0,86.0 center noenhanced front font ',10' tc rgb '#222222'
set label 37 '181 ms  2.18x' at 531.0,102.0 center noenhanced front font ',10' tc rgb '#222222'
set label 38 'hits 67%  25.3 dB' at 531.0,86.0 center noenhanced front font ',10' tc rgb '#222222'
set label 39 '154 ms  2.48x' at 711.0,102.0 center noenhanced front font ',10' tc rgb '#222222'
set label 40 'hits 77%  22.4 dB' at 711.0,86.0 center noenhanced front font ',10' tc rgb '#222222'
set label 41 '381 ms  uncached' at 891.0,102.0 center noenhanced front font ',10' tc rgb '#666666'
plot \
  'grid-diff.rgb' binary array=(32,32) skip=0 format='%uchar%uchar%uchar' dx=5 dy=5 origin=(93.5,550.5) flipy with rgbimage notitle, \
  'grid-diff.rgb' binary array=(32,32) skip=3072 format='%uchar%uchar%uchar' dx=5 dy=5 origin=(273.5,550.5) flipy with rgbimage notitle, \
  'grid-diff.rgb' binary array=(32,32) skip=6144 format='%uchar%uchar%uchar' dx=5 dy=5 origin=(453.5,550.5) flipy with rgbimage notitle, \
  'grid-diff.rgb' binary array=(32,32) skip=9216 format='%uchar%uchar%uchar' dx=5 dy=5 origin=(633.5,550.5) flipy with rgbimage notitle, \
  'grid-diff.rgb' binary array=(32,32) skip=12288 format='%uchar%uchar%uchar' dx=5 dy=5 origin=(813.5,550.5) flipy with rgbimage notitle, \
  'grid-diff.rgb' binary array=(32,32) skip=15360 format='%uchar%uchar%uchar' dx=5 dy=5 origin=(93.5,334.5) flipy with rgbimage notitle, \
  'grid-diff.rgb' binary array=(32,32) skip=18432 format='%uchar%uchar%uchar' dx=5 dy=5 origin=(273.5,334.5) flipy with rgbimage notitle, \
  'grid-diff.rgb' binary array=(32,32) skip=21504 format='%uchar%uchar%uchar' dx=5 dy=5 origin=(453.5,334.5) flipy with rgbimage notitle, \
  'grid-diff.rgb' binary array=(32,32) skip=24576 format='%uchar%uchar%uchar' dx=5 dy=5 origin=(633.5,334.5) flipy with rgbimage notitle, \
  'grid-diff.rgb' binary array=(32,32) skip=27648 format='%uchar%uchar%uchar' dx=5 dy=5 origin=(813.5,334.5) flipy with rgbimage notitle, \
  'grid-diff.rgb' binary array=(32,32) skip=30720 format='%uchar%uchar%uchar' dx=5 dy=5 origin=(93.5,118.5) flipy with rgbimage notitle, \
  'grid-diff.rgb' binary array=(32,32) skip=33792 format='%uchar%uchar%uchar' dx=5 dy=5 origin=(273.5,118.5) flipy with rgbimage notitle, \
  'grid-diff.rgb' binary array=(32,32) skip=36864 format='%uchar%uchar%uchar' dx=5 dy=5 origin=(453.5,118.5) flipy with rgbimage notitle, \
  'grid-diff.rgb' binary array=(32,32) skip=39936 format='%uchar%uchar%uchar' dx=5 dy=5 origin=(633.5,118.5) flipy with rgbimage notitle, \
  'grid-diff.rgb' binary array=(32,32) skip=43008 format='%uchar%uchar%uchar' dx=5 dy=5 origin=(813.5,118.5) flipy with rgbimage notitle
