// Training by the numerical gradient against backprop, per step: 784-50-10 ReLU, batch 100,
// lr 0.001, through train() both ways. A numerical step differentiates every one of the 39,760
// parameters by central differences, so only a few are timed.
import { createRuntime, MLP, train, type KernelBuild, type LabelledImages } from 'simdnet';

export interface NumericalTrainingResult {
  network: string;
  batch: number;
  numericalSteps: number;
  numericalMsPerStep: number;
  backpropSteps: number;
  backpropMsPerStep: number;
  /** numericalMsPerStep / backpropMsPerStep. */
  ratio: number;
}

export async function benchNumericalTraining(
  build: KernelBuild, trainSet: LabelledImages, numericalSteps: number, backpropSteps: number,
): Promise<NumericalTrainingResult> {
  const runtime = await createRuntime(build);
  const msPerStep = (gradient: 'numerical' | 'backprop', iterations: number) => {
    const net = new MLP(runtime, { sizes: [784, 50, 10], activation: 'relu', seed: 0 });
    // No evaluation set and no train evaluation: msPerIteration then times the steps alone.
    const history = train(net, { train: trainSet }, {
      gradient, iterations, batchSize: 100, learningRate: 0.001, evaluateTrain: false,
    });
    net.dispose();
    return history.msPerIteration;
  };
  msPerStep('backprop', 50); // warm-up: compile both paths before timing
  msPerStep('numerical', 1);
  const numericalMsPerStep = msPerStep('numerical', numericalSteps);
  const backpropMsPerStep = msPerStep('backprop', backpropSteps);
  const result = {
    network: '784-50-10 relu', batch: 100, numericalSteps, numericalMsPerStep, backpropSteps, backpropMsPerStep,
    ratio: numericalMsPerStep / backpropMsPerStep,
  };
  console.log(
    `training by the numerical gradient, 784-50-10 relu, batch 100 (${build}): ${numericalMsPerStep.toFixed(1)} ms/step ` +
      `(${numericalSteps} steps) vs backprop ${backpropMsPerStep.toFixed(3)} ms/step: ${result.ratio.toFixed(0)}×`,
  );
  return result;
}
